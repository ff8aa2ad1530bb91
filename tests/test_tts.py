"""Text-to-speech with timed phonemes (eSpeak NG in a child process) and espeak -> ARPABET.

The mapping and event-to-track tests need no espeak; the rest skip when the optional `tts`
extra (espeakng-loader) is not installed.
"""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest

from emoface.drive import espeak_phonemes as ep
from emoface.drive import tts
from emoface.drive.phonemes import ARPABET, VOWELS, split_stress
from emoface.errors import EmofaceError, InputError

HAS_ESPEAK = importlib.util.find_spec("espeakng_loader") is not None
needs_espeak = pytest.mark.skipif(
    not HAS_ESPEAK,
    reason="espeakng-loader (the 'tts' extra: pip install 'emoface[tts]') is not installed")

SENTENCE = "Hello, my name is Bob."


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def interval(audio, start_s: float, end_s: float) -> np.ndarray:
    sr = audio.sample_rate
    return audio.samples[int(round(start_s * sr)):int(round(end_s * sr))]


def assert_tiles(track, duration_s: float) -> None:
    assert len(track) > 0
    assert track.start_s[0] == 0.0
    assert track.end_s[-1] == pytest.approx(duration_s, abs=1e-9)
    np.testing.assert_allclose(track.start_s[1:], track.end_s[:-1], atol=1e-12)
    assert np.all(track.end_s > track.start_s)
    assert len(track.phones) == len(track.start_s) == len(track.end_s) == len(track.stress)


# ----------------------------------------------------------------------------- no espeak needed
def test_mapping_diphthongs_pauses_and_stress_marks():
    assert ep.to_arpabet("oU") == ("OW",)
    assert ep.to_arpabet("'aI") == ("AY",)
    assert [ep.to_arpabet(m)[0] for m in ("eI", "aU", "OI")] == ["EY", "AW", "OY"]
    assert ep.to_arpabet("_:") == ("SIL",) and ep.to_arpabet("_") == ("SIL",)
    assert ep.to_arpabet("A@") == ("AA", "R")
    assert ep.to_arpabet("n-") == ("AH", "N") and ep.to_arpabet("n-", timed=True) == ("N",)
    assert ep.to_arpabet("t#") == ("T",) and ep.to_arpabet("l/2") == ("L",)
    assert ep.to_arpabet(";") == ()
    assert ep.split_mnemonic(",eI") == ("eI", 2)
    for phones in ep.ESPEAK_TO_ARPABET.values():
        assert all(p in ARPABET for p in phones)


def test_unknown_mnemonic_maps_by_first_letter_and_is_logged(caplog):
    with caplog.at_level(logging.DEBUG, logger=ep.__name__):
        assert ep.to_arpabet("k9z") == ("K",)
        assert ep.to_arpabet("%Q~") == ()  # nothing sensible: no phone, no crash
    assert "unknown espeak phoneme" in caplog.text


def test_stressed_pronunciation_like_cmudict():
    assert ep.to_arpabet_stressed(["h", "@", "l", "'oU"]) == ["HH", "AH0", "L", "OW1"]
    # "button": glottal t and syllabic n -> AH0 N; linking r after ER is dropped
    assert ep.to_arpabet_stressed(["b", "'V", "?", "n-"]) == ["B", "AH1", "T", "AH0", "N"]
    assert ep.to_arpabet_stressed(["f", "'I", "l", "t", "3", "r-", "I", "N"]) == \
        ["F", "IH1", "L", "T", "ER0", "IH0", "NG"]


def test_events_to_track_tiles_and_marks_pre_word_pauses():
    # SENTENCE start (sample 0), word 1, h @ l 'oU, clause pause, word 2 whose first phoneme
    # comes 300 samples after the word event (espeak's pre-word pause), end.
    events = [[2, 0, 1, 0, 1], [1, 0, 1, 5, 1], [7, 100, 1, 0, "h"], [7, 1000, 1, 0, "@"],
              [7, 2000, 1, 0, "l"], [7, 3000, 1, 0, "'oU"], [7, 5000, 7, 0, "_:"],
              [1, 6000, 7, 3, 2], [7, 6300, 7, 0, "b"], [7, 7000, 7, 0, "'0"],
              [7, 9000, 7, 0, "b"], [7, 9900, 10, 0, "_"]]
    track = tts.events_to_track(events, 10000, 22050, "Hello Bob")
    assert track.phones == ("SIL", "HH", "AH", "L", "OW", "SIL", "B", "AA", "B", "SIL")
    assert track.method == "tts"
    assert_tiles(track, 10000 / 22050)
    sil = track.phones.index("SIL", 1)
    assert track.start_s[sil] == pytest.approx(5000 / 22050)
    assert track.end_s[sil] == pytest.approx(6300 / 22050)  # clause pause + pre-word pause
    assert list(track.stress) == [-1, -1, 0, -1, 1, -1, -1, 1, -1, -1]
    assert [w for w, _, _ in track.words] == ["Hello", "Bob"]
    assert track.words[1][1] == pytest.approx(6300 / 22050)


def test_stop_closure_silence_goes_to_the_stop():
    # "help": EH, then espeak's L event over pure silence (the /l/ is in the vowel), then P.
    sr = 22050
    samples = np.zeros(10000, np.float32)
    samples[100:7000] = 0.1 * np.sin(np.arange(6900) * 0.3)  # HH + EH audible
    samples[8000:9500] = 0.05  # the P burst
    events = [[7, 100, 1, 0, "h"], [7, 1500, 1, 0, "'E"], [7, 7000, 1, 0, "l"],
              [7, 8000, 1, 0, "p"], [7, 9500, 5, 0, "_:"]]
    track = tts.events_to_track(events, len(samples), sr, "help", samples=samples)
    assert track.phones == ("SIL", "HH", "EH", "L", "P", "SIL")
    i_l, i_p = track.phones.index("L"), track.phones.index("P")
    assert track.start_s[i_p] == pytest.approx(7000 / sr)  # the closure starts the P
    assert track.end_s[i_l] == pytest.approx(7000 / sr)  # L moved into the vowel's tail
    assert track.start_s[i_l] == pytest.approx(6000 / sr)
    assert_tiles(track, len(samples) / sr)


def test_missing_extra_gives_install_hint(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(tts.importlib.util, "find_spec",
                        lambda name, *a: None if name == "espeakng_loader" else real(name, *a))
    with pytest.raises(EmofaceError, match=r"emoface\[tts\]"):
        tts.synthesize("hello")


def test_empty_and_too_long_text_rejected():
    with pytest.raises(InputError, match="empty"):
        tts.synthesize("   ")
    with pytest.raises(InputError, match="limit"):
        tts.synthesize("a" * (tts.MAX_TEXT_CHARS + 1))
    with pytest.raises(InputError, match="no words espeak can speak"):
        tts.synthesize("...")   # punctuation alone: espeak says nothing (a 1-frame video before)
    with pytest.raises(InputError):
        tts.synthesize("hello", rate_wpm=10)
    with pytest.raises(InputError):
        tts.pronounce("hello")  # a string, not a list


# ----------------------------------------------------------------------------- with espeak
@pytest.fixture(scope="module")
def spoken():
    if not HAS_ESPEAK:
        pytest.skip("espeakng-loader (the 'tts' extra) is not installed")
    return tts.synthesize(SENTENCE)


@needs_espeak
def test_synthesize_sentence_tiles_audio(spoken):
    audio, track = spoken
    assert audio.sample_rate == 22050 and audio.source is None
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert np.abs(audio.samples).max() <= 1.0
    assert audio.duration_s > 0.8
    assert track.method == "tts"
    assert_tiles(track, audio.duration_s)
    assert all(p in ARPABET for p in track.phones)
    for p in ("HH", "L", "M", "B"):
        assert p in track.phones
    vowels = [i for i, p in enumerate(track.phones) if p in VOWELS]
    assert len(vowels) >= 5
    assert all(track.stress[i] in (0, 1, 2) for i in vowels)
    assert all(track.stress[i] == -1 for i, p in enumerate(track.phones) if p not in VOWELS)
    assert (track.stress == 1).sum() >= 2  # hello, name, Bob carry primary stress
    assert [w for w, _, _ in track.words] == ["Hello", "my", "name", "is", "Bob"]


@needs_espeak
def test_timings_follow_the_audio(spoken):
    audio, track = spoken
    for p, s, e in zip(track.phones, track.start_s, track.end_s):
        if p == "SIL":
            assert rms(interval(audio, s, e)) < 1e-3, (p, s, e)
        elif p in VOWELS:
            assert rms(interval(audio, s, e)) > 0.02, (p, s, e)
    # the comma after "Hello" is a real pause, and the durations are far from even
    sil = [e - s for p, s, e in zip(track.phones, track.start_s, track.end_s) if p == "SIL"]
    assert max(sil) > 0.1
    durations = track.end_s - track.start_s
    assert durations.std() / durations.mean() > 0.4
    # speech onset / offset (first / last sample above -60 dBFS) vs the first / last phone
    loud = np.flatnonzero(np.abs(audio.samples) > 1e-3)
    speech = [i for i, p in enumerate(track.phones) if p != "SIL"]
    assert abs(loud[0] / audio.sample_rate - track.start_s[speech[0]]) < 0.03
    assert abs((loud[-1] + 1) / audio.sample_rate - track.end_s[speech[-1]]) < 0.03


@needs_espeak
def test_bob_is_b_vowel_b(spoken):
    audio, track = spoken
    word, w0, w1 = track.words[-1]
    assert word == "Bob"
    inside = [i for i, (s, e) in enumerate(zip(track.start_s, track.end_s))
              if s >= w0 - 1e-9 and e <= w1 + 1e-9]
    phones = [track.phones[i] for i in inside]
    assert phones[0] == "B" and phones[-1] == "B" and len(phones) == 3
    vowel = inside[1]
    assert track.phones[vowel] in VOWELS and track.stress[vowel] == 1
    assert track.end_s[inside[0]] == track.start_s[vowel]  # B, then the vowel, then B
    assert track.end_s[vowel] == track.start_s[inside[2]]


@needs_espeak
def test_pronounce_gives_cmudict_style_arpabet():
    out = tts.pronounce(["emoface", "hello", "Hello"])
    assert out["hello"] == ["HH", "AH0", "L", "OW1"]
    assert out["Hello"] == out["hello"]
    emo = out["emoface"]
    for phone in emo:
        base, stress = split_stress(phone)  # raises on anything not ARPABET
        assert (stress in (0, 1, 2)) == (base in VOWELS)
    assert [p for p in emo if p[-1:].isdigit() and p.endswith("1")], emo  # a primary stress
    assert {"M", "F", "S"} <= set(emo)
    assert tts.pronounce([]) == {}
    assert tts.pronounce(["hello"], stress=False) == {"hello": ["HH", "AH", "L", "OW"]}


@needs_espeak
def test_unknown_voice_names_close_matches():
    with pytest.raises(InputError, match="en-us"):
        tts.synthesize("hello", voice="en-uss")
    with pytest.raises(InputError, match="unknown voice"):
        tts.pronounce(["hello"], voice="xx-nowhere")
    assert "en-us" in tts.list_voices() and "en-gb" in tts.list_voices()


@needs_espeak
def test_worker_failures_are_clear(monkeypatch):
    with pytest.raises(EmofaceError, match="did not answer"):
        tts._run_worker({"op": "voices"}, timeout_s=0.001)
    monkeypatch.setattr(tts, "WORKER_MODULE", "emoface.drive._no_such_worker")
    with pytest.raises(EmofaceError, match="exited with status .*No module named"):
        tts.pronounce(["hello"])


@needs_espeak
def test_parent_never_maps_libespeak(spoken):
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc/self/maps on this system")
    tts.pronounce(["hello"])
    assert "espeak" not in maps.read_text()
