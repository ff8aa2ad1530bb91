"""Speech analysis paths: the loudness fallback, the phone loop, and transcript checks."""
from __future__ import annotations

import numpy as np
import pytest

from emoface.drive.energy import energy_track
from emoface.drive.transcribe import Transcript, TranscriptSegment
from emoface.drive.phonemes import VOWELS
from emoface.types import Audio


def syllables(n: int = 6, rate_hz: float = 4.0, sr: int = 16000) -> Audio:
    """0.5 s silence, n voiced 'syllables' (a 150 Hz buzz, raised-cosine envelope), 0.5 s silence."""
    t = np.arange(int(n / rate_hz * sr)) / sr
    voiced = (0.5 - 0.5 * np.cos(2 * np.pi * rate_hz * t)) ** 2 * np.sign(np.sin(2 * np.pi * 150 * t)) * 0.3
    pad = np.zeros(sr // 2)
    return Audio(np.concatenate([pad, voiced, pad]).astype(np.float32), sr)


def test_energy_fallback_finds_the_syllables_and_the_silences():
    audio = syllables(6)
    track = energy_track(audio)
    assert track.method == "energy" and track.end_s[-1] == pytest.approx(audio.duration_s)
    vowels = [(s + e) / 2 for p, s, e in zip(track.phones, track.start_s, track.end_s) if p in VOWELS]
    assert len(vowels) == 6
    expected = 0.5 + (np.arange(6) + 0.5) / 4.0     # envelope peaks
    assert np.abs(np.array(vowels) - expected).max() < 0.06
    assert track.phones[0] == "SIL" and track.phones[-1] == "SIL"
    assert track.end_s[0] >= 0.45 and track.start_s[-1] <= audio.duration_s - 0.45


def test_other_languages_use_the_phone_loop():
    from emoface.drive.speech import phoneme_track

    track = phoneme_track(syllables(8), language="zh")
    assert track.method in ("phone-loop", "energy")
    assert track.end_s[-1] == pytest.approx(syllables(8).duration_s)
    assert np.all(np.diff(track.start_s) > 0) and np.allclose(track.end_s[:-1], track.start_s[1:])


def test_a_transcript_is_usable_only_when_whisper_is_confident():
    seg = lambda lp, ns=0.01: TranscriptSegment(" hello there", 0.0, 2.0, lp, ns)  # noqa: E731
    assert Transcript((seg(-0.3),)).usable
    assert not Transcript((seg(-0.8),)).usable            # e.g. Mandarin heard as English
    assert not Transcript((seg(-0.3, ns=0.9),)).usable    # Whisper thinks there is no speech
    assert not Transcript(()).usable


def test_a_speech_job_stops_when_its_result_is_no_longer_wanted():
    """`animate` transcribes beside the portrait analysis; when the portrait fails (no face) or
    the user presses Ctrl-C, the transcription of a long clip gives up after its current window
    instead of running to the end (it held a failed command for ~25 s on 3 min of speech)."""
    from emoface.animate import SpeechJob
    from emoface.drive.tts import synthesize
    from emoface.errors import Stopped

    from scipy.signal import resample_poly

    spoken, _ = synthesize("The quick brown fox jumps over the lazy dog, and then it runs away.")
    speech = Audio(resample_poly(spoken.samples, 16000, spoken.sample_rate).astype(np.float32), 16000)
    long_clip = Audio(np.tile(speech.samples, int(np.ceil(75.0 / speech.duration_s))), speech.sample_rate)
    job = SpeechJob(long_clip, None, "en")     # three 30 s Whisper windows
    job.stop()
    with pytest.raises(Stopped):
        job.result()
    short = SpeechJob(speech, None, "en")      # left alone, it finishes
    assert short.result().end_s[-1] == pytest.approx(speech.duration_s)


def test_a_transcript_that_does_not_match_the_speech_is_not_mouthed(caplog):
    """`--transcript` with the wrong words was force-aligned without a word said: the lips
    mouthed words nobody spoke. Now the alignment is measured against the phone loop's own fit
    (and how much of the speech its words cover); a mismatch says so and the lips follow the
    sounds instead. The right transcript is still aligned, silently."""
    import logging

    from scipy.signal import resample_poly

    from emoface.drive.speech import phoneme_track
    from emoface.drive.tts import synthesize

    said = "Yesterday the weather was cold, so we stayed inside and read books all afternoon."
    spoken, _ = synthesize(said)
    speech = Audio(resample_poly(spoken.samples, 16000, spoken.sample_rate).astype(np.float32), 16000)

    def warnings():
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]

    with caplog.at_level(logging.INFO, logger="emoface.drive.speech"):
        right = phoneme_track(speech, said)
    assert right.method == "forced-alignment" and "fits the speech" in caplog.text and not warnings()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="emoface.drive.speech"):
        wrong = phoneme_track(speech, "completely unrelated words about bananas")   # aligns: fit -39, covers 25 %
    assert wrong.method in ("phone-loop", "energy")
    assert len(warnings()) == 1 and "does not match the speech" in warnings()[0], caplog.text
