"""Last-resort phoneme track from the loudness envelope alone (no recogniser, any language).

Syllable nuclei are the peaks of the smoothed loudness inside speech; each becomes an open vowel
whose openness follows its loudness, the dips between them become a brief alveolar consonant,
and everything quiet is silence. It cannot show closures it does not hear, but it opens and
shuts the mouth in time with the syllables.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..types import Audio, PhonemeTrack
from .align import tile
from .phonemes import SILENCE
from .prosody import HOP_S, loudness_db, speech_mask

MIN_SYLLABLE_S = 0.12
DIP_DB = 4.0


def energy_track(audio: Audio) -> PhonemeTrack:
    """Audio -> PhonemeTrack (method "energy"): vowels on loudness peaks, "T" in the dips."""
    from scipy.signal import find_peaks  # 0.4 s to import; only this last resort needs it

    level = loudness_db(audio)
    speech = speech_mask(level)
    smooth = uniform_filter1d(level, 5, mode="nearest")
    peaks, _ = find_peaks(np.where(speech, smooth, -200.0), distance=int(MIN_SYLLABLE_S / HOP_S),
                          prominence=DIP_DB)
    names, starts, ends, stress = [], [], [], []
    loud_end = float(np.percentile(level[speech], 90)) if speech.any() else 0.0
    for i, p in enumerate(peaks):
        lo = peaks[i - 1] if i > 0 else max(0, p - int(0.15 / HOP_S))
        hi = peaks[i + 1] if i + 1 < len(peaks) else min(len(level) - 1, p + int(0.15 / HOP_S))
        left = lo + int(np.argmin(smooth[lo:p + 1])) if i > 0 else lo
        right = p + int(np.argmin(smooth[p:hi + 1])) if i + 1 < len(peaks) else hi
        # grow the vowel while it stays in speech
        while left < p and not speech[left]:
            left += 1
        while right > p and not speech[right]:
            right -= 1
        vowel = "AA" if smooth[p] > loud_end - 3.0 else ("AH" if smooth[p] > loud_end - 9.0 else "IH")
        if i > 0 and starts and left * HOP_S - ends[-1] < 0.02:
            # a dip between two syllables: a short consonant centred on it
            c = (left + (ends[-1] / HOP_S)) / 2 * HOP_S
            ends[-1] = min(ends[-1], c - 0.02)
            names.append("T"), starts.append(c - 0.02), ends.append(c + 0.02), stress.append(-1)
            left = max(left, int(np.ceil((c + 0.02) / HOP_S)))
        names.append(vowel), starts.append(left * HOP_S), ends.append((right + 1) * HOP_S)
        stress.append(1 if smooth[p] > loud_end - 3.0 else 0)
    if not names:
        names, starts, ends, stress = [SILENCE], [0.0], [audio.duration_s], [-1]
    return tile(names, starts, ends, stress, "energy", (), 0.0, audio.duration_s)
