"""Timed phonemes -> mouth controls per video frame, with coarticulation.

Each phone pulls the mouth towards its viseme target with a dominance function (Cohen & Massaro
1993): D_i(t) = alpha_i * exp(-d_i(t) / sigma), where d_i is the distance in seconds from the
phone's core (its middle 40 %) and sigma is per control (lip rounding anticipates further than
jaw opening). Each control at time t is the dominance-weighted mean of the targets. On top:

- vowels open in proportion to their loudness relative to the utterance's median vowel;
- vowels of function words ("and", "for", "the"...) open about half as far: running speech
  says them in their weak, reduced forms;
- a short pause inside speech (< 1 s) leaves the lips slightly apart; long pauses and the
  clip's start and end relax the mouth shut;
- every bilabial (p, b, m) closes the lips completely on at least one frame, every labiodental
  (f, v) tucks the lower lip under the teeth on at least one frame, however short the phone;
- `closure` [T] in [0, 1] says how closed the lips are for a bilabial, so emotion control can
  shut an emotional open mouth (surprise) for "b".

Convention: frame k shows time k / fps (its start); `lead_s` samples the phones slightly ahead,
because the lips move before the sound they shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import PhonemeTrack
from ..vocab import MOUTH_INDEX
from .phonemes import SILENCE, VOWELS
from .visemes import BILABIALS, DIPHTHONGS, LABIODENTALS, VISEMES, viseme_targets

JAW, FUNNEL, PUCKER, PRESS, STRETCH, TUCK = (MOUTH_INDEX[n] for n in (
    "jaw_open", "lip_funnel", "lip_pucker", "lip_press", "lip_stretch", "lower_lip_tuck"))
SIGMA_S = np.array([0.07, 0.09, 0.09, 0.06, 0.08, 0.06], np.float32)  # per control
CORE_SHARE = 0.4
# How far ahead of the aligned phones each frame samples. Measured against real speakers
# (bench/lipsync.py, dlib mouth curves, seeds 0 1 2): at 0.06 s our mouth trailed both shared
# talking videos by one frame (best lag +1); at 0.10 s the best lag is 0 on both and r is
# unchanged (0.51); at 0.14 s it leads (-1). Erring early is also the safe side: viewers notice
# sound ahead of the lips (~45 ms) far sooner than lips ahead of the sound (~125 ms).
LEAD_S = 0.10
# a short pause inside speech leaves the lips slightly apart; a long one or the clip's ends shut them
SHORT_PAUSE_S = 1.0
SHORT_PAUSE_JAW = 0.2     # lips apart ~2 mm: real speakers rarely shut them between phrases
DIPHTHONG_SPLIT = 0.55
LOUDNESS_GAIN_PER_DB = 1.0 / 20.0
LOUDNESS_GAIN_RANGE = (0.6, 1.4)
# Blending with neighbours keeps vowels from reaching their targets in running speech; this
# gain restores real speakers' range (dlib lip gap / inter-ocular: median ~0.1-0.17, 90th
# percentile ~0.2 on the shared talking videos).
JAW_GAIN = 1.5
# English function words that running speech says in their weak, reduced forms (Roach, "English
# Phonetics and Phonology", 4th ed., ch. 12 "Weak forms", lists most of these), plus other
# short pronouns, possessives and prepositions that rarely carry sentence stress. Their vowels
# open WEAK_FORM_JAW as far as the same vowel in a content word. Before, "and", "for our" were
# opened as wide as stressed vowels; the real speakers of bench/lipsync.py barely open for them.
# Their dlib mouth curves against the rig's own lip gap (no rendering): r 0.51 -> 0.57 (AOC) and
# 0.60 -> 0.71 (May); the rendered videos, dlib on both: mean r 0.51 -> 0.60.
WEAK_FORM_WORDS = frozenset('''
    a an the and but that than his her your some at for from of to as there can could have has
    had shall should must do does am are was were be been he him she we me you us them
    i my our their its it is in on or by with into
'''.split())
WEAK_FORM_JAW = 0.5


@dataclass(frozen=True)
class MouthTrack:
    """mouth: [T, 6] float32 mouth controls per frame (`vocab.MOUTH_CONTROLS`);
    closure: [T] float32 in [0, 1], lips shut for a bilabial; fps: frames per second."""

    mouth: np.ndarray
    closure: np.ndarray
    fps: float

    def __len__(self) -> int:
        return len(self.mouth)


def split_diphthongs(track: PhonemeTrack) -> tuple[list[str], np.ndarray, np.ndarray]:
    """-> (phones, start_s [N'], end_s [N']) with each diphthong as its two component vowels."""
    names, starts, ends = [], [], []
    for p, s, e in zip(track.phones, track.start_s, track.end_s):
        if p in DIPHTHONGS:
            cut = s + DIPHTHONG_SPLIT * (e - s)
            first, second = DIPHTHONGS[p]
            names += [first, second]
            starts += [s, cut]
            ends += [cut, e]
        else:
            names.append(p), starts.append(s), ends.append(e)
    return names, np.asarray(starts, np.float64), np.asarray(ends, np.float64)


def loudness_gains(phones: list[str], start_s: np.ndarray, end_s: np.ndarray,
                   level_at) -> np.ndarray:
    """[N] jaw gain per phone: vowels louder than the median vowel open wider (x0.6-1.4)."""
    gains = np.ones(len(phones), np.float32)
    vowels = np.array([p in VOWELS for p in phones])
    if level_at is None or not vowels.any():
        return gains
    levels = np.asarray(level_at((start_s + end_s) / 2), np.float32)
    median = float(np.median(levels[vowels]))
    g = 1.0 + (levels - median) * LOUDNESS_GAIN_PER_DB
    gains[vowels] = np.clip(g[vowels], *LOUDNESS_GAIN_RANGE)
    return gains


def weak_form_vowels(phones: list[str], start_s: np.ndarray, end_s: np.ndarray,
                     words) -> np.ndarray:
    """[N] bool: the vowels inside a function word (`WEAK_FORM_WORDS`); words: (word, start_s,
    end_s) triples as in `PhonemeTrack.words` (none: no vowel is marked)."""
    out = np.zeros(len(phones), bool)
    vowels = np.array([p in VOWELS for p in phones], bool)
    middle = (start_s + end_s) / 2
    for word, w_start, w_end in words:
        if word.lower().strip(".,;:!?\"'") in WEAK_FORM_WORDS:
            out |= vowels & (middle >= w_start) & (middle < w_end)
    return out


def mouth_track(track: PhonemeTrack, n_frames: int, fps: float, level_at=None,
                lead_s: float = LEAD_S) -> MouthTrack:
    """PhonemeTrack -> MouthTrack of n_frames at fps.

    level_at: optional callable, times [N] s -> loudness [N] dB (`prosody.sample_envelope`)."""
    phones, start, end = split_diphthongs(track)
    targets, alpha = viseme_targets(tuple(phones))
    targets = targets.copy()
    targets[:, JAW] *= JAW_GAIN * loudness_gains(phones, start, end, level_at)
    targets[weak_form_vowels(phones, start, end, track.words), JAW] *= WEAK_FORM_JAW
    for i in range(1, len(phones) - 1):
        if phones[i] == SILENCE and end[i] - start[i] < SHORT_PAUSE_S:
            targets[i, JAW] = SHORT_PAUSE_JAW
    closed = np.array([p in BILABIALS for p in phones], np.float32)
    times = np.arange(n_frames) / fps + lead_s
    centre, half_core = (start + end) / 2, CORE_SHARE * (end - start) / 2

    num = np.zeros((n_frames, targets.shape[1] + 1), np.float64)
    den = np.zeros_like(num)
    reach = 8.0 * float(SIGMA_S.max())
    sig = np.append(SIGMA_S, SIGMA_S[JAW])[None, :]
    for i in range(len(phones)):
        lo = np.searchsorted(times, start[i] - reach)
        hi = np.searchsorted(times, end[i] + reach)
        if hi <= lo:
            continue
        d = np.maximum(np.abs(times[lo:hi] - centre[i]) - half_core[i], 0.0)[:, None]
        weight = alpha[i] * np.exp(-d / sig)
        value = np.append(targets[i], closed[i])[None, :]
        num[lo:hi] += weight * value
        den[lo:hi] += weight
    blended = np.where(den > 0, num / np.maximum(den, 1e-12), 0.0).astype(np.float32)
    mouth, closure = blended[:, :-1], blended[:, -1]
    _enforce_contacts(mouth, closure, phones, start, end, times)
    return MouthTrack(np.clip(mouth, 0.0, 1.0), np.clip(closure, 0.0, 1.0), fps)


def _contact_frames(start: float, end: float, times: np.ndarray) -> np.ndarray:
    """Frames whose sample time falls inside [start, end), or the nearest one if none does."""
    inside = np.nonzero((times >= start) & (times < end))[0]
    if len(inside) or len(times) == 0:
        return inside
    return np.array([int(np.argmin(np.abs(times - (start + end) / 2)))])


def _enforce_contacts(mouth, closure, phones, start, end, times) -> None:
    """In place: lips fully shut on bilabial frames, lower lip tucked on labiodental frames."""
    for p, s, e in zip(phones, start, end):
        if p in BILABIALS:
            k = _contact_frames(s, e, times)
            mouth[k, JAW] = 0.0
            mouth[k, TUCK] = 0.0
            mouth[k, PRESS] = np.maximum(mouth[k, PRESS], VISEMES[p].target[PRESS])
            closure[k] = 1.0
        elif p in LABIODENTALS:
            k = _contact_frames(s, e, times)
            mouth[k, JAW] = np.minimum(mouth[k, JAW], VISEMES[p].target[JAW])
            mouth[k, TUCK] = np.maximum(mouth[k, TUCK], VISEMES[p].target[TUCK])
