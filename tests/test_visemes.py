"""Phonemes -> mouth controls: known answers on synthetic phoneme tracks (no media needed)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emoface.drive.align import tile
from emoface.drive.coarticulation import FUNNEL, JAW, LEAD_S, PUCKER, TUCK, mouth_track
from emoface.motion.eyes import blink_track, gaze_track
from emoface.motion.head import head_motion
from emoface.motion.performance import combine
from emoface.vocab import AU_INDEX


def track(spec: str, start: float = 0.3, end_pad: float = 0.3):
    """'B:0.08 AA:0.2' -> a PhonemeTrack with SIL padding (durations in s)."""
    names, starts, ends, t = [], [], [], start
    for item in spec.split():
        p, d = item.split(":")
        names.append(p), starts.append(t), ends.append(t + float(d))
        t += float(d)
    return tile(names, starts, ends, [1 if p in ("AA", "UW", "IY") else -1 for p in names], "tts", (), 0.0, t + end_pad)


def frames_in(tr, phone, fps, occurrence=0):
    i = [k for k, p in enumerate(tr.phones) if p == phone][occurrence]
    t = np.arange(int(tr.end_s[-1] * fps)) / fps + LEAD_S
    return np.nonzero((t >= tr.start_s[i]) & (t < tr.end_s[i]))[0]


@pytest.mark.parametrize("fps", [24.0, 25.0, 30.0, 60.0])
def test_bilabials_close_and_open_vowels_open(fps):
    tr = track("B:0.07 AA:0.22 M:0.06 AA:0.22 P:0.05 AA:0.2")
    m = mouth_track(tr, int(tr.end_s[-1] * fps), fps)
    for occ, phone in enumerate(("B", "M", "P")):
        k = [i for i, p in enumerate(tr.phones) if p == phone][0]
        centre = int(round(((tr.start_s[k] + tr.end_s[k]) / 2 - LEAD_S) * fps))
        closed = np.nonzero(m.closure[max(0, centre - 2):centre + 3] == 1.0)[0]
        assert len(closed) >= 1, f"{phone} never fully closed at {fps} fps"
        assert m.mouth[max(0, centre - 2) + closed, JAW].max() == 0.0
    for occ in range(3):
        assert m.mouth[frames_in(tr, "AA", fps, occ), JAW].max() > 0.35


def test_even_a_20ms_bilabial_gets_a_closed_frame():
    tr = track("AA:0.2 B:0.02 AA:0.2")
    m = mouth_track(tr, int(tr.end_s[-1] * 25), 25.0)
    assert (m.closure == 1.0).sum() >= 1
    assert m.mouth[m.closure == 1.0, JAW].max() == 0.0


def test_labiodentals_tuck_rounded_vowels_pucker_open_vowels_in_proportion():
    tr = track("F:0.1 AA:0.2 V:0.1 UW:0.25 IY:0.2 AE:0.2 IH:0.2")
    m = mouth_track(tr, int(tr.end_s[-1] * 25), 25.0)
    assert m.mouth[frames_in(tr, "F", 25), TUCK].max() > 0.6
    assert m.mouth[frames_in(tr, "V", 25), TUCK].max() > 0.6
    uw = frames_in(tr, "UW", 25)
    assert m.mouth[uw, PUCKER].max() > 0.5 and m.mouth[uw, FUNNEL].max() > 0.1
    peak = {p: m.mouth[frames_in(tr, p, 25), JAW].max() for p in ("AA", "AE", "IH", "IY")}
    assert peak["AA"] > peak["IH"] > peak["IY"] and peak["AE"] > peak["IH"]


def test_function_words_open_less_than_content_words():
    """Running speech says "and" in its weak form: the same vowel opens about half as far as in
    "ant" (a content word), which is left as it was."""
    plain = track("AE:0.12 N:0.06 D:0.05")
    word_span = (plain.start_s[1], plain.end_s[-2])     # every phone but the silent padding
    content, function = (dataclasses.replace(plain, words=((w, *word_span),)) for w in ("ant", "And,"))
    jaw = {name: mouth_track(tr, 20, 25.0).mouth[frames_in(tr, "AE", 25), JAW].max()
           for name, tr in (("content", content), ("function", function), ("no words", plain))}
    assert jaw["content"] == pytest.approx(jaw["no words"]) and jaw["content"] > 0.3
    assert 0.3 * jaw["content"] < jaw["function"] < 0.7 * jaw["content"]


def test_silence_relaxes_the_mouth_shut():
    tr = track("AA:0.3", start=0.5, end_pad=1.5)
    m = mouth_track(tr, int(tr.end_s[-1] * 25), 25.0)
    assert np.abs(m.mouth[-10:]).max() < 1e-3 and np.abs(m.mouth[:1]).max() < 0.05
    only_silence = tile(["SIL"], [0.0], [2.0], [-1], "silence", (), 0.0, 2.0)
    assert np.abs(mouth_track(only_silence, 50, 25.0).mouth).max() == 0.0


def test_coarticulation_anticipates_and_blends():
    """The lips start rounding for UW before it starts; nothing jumps between frames."""
    tr = track("AA:0.3 T:0.08 UW:0.3")
    m = mouth_track(tr, int(tr.end_s[-1] * 25), 25.0)
    k_uw = frames_in(tr, "UW", 25)[0]
    assert m.mouth[k_uw - 2, PUCKER] > 0.1
    assert np.abs(np.diff(m.mouth[:, JAW])).max() < 0.3


def test_emotion_and_speech_combine_without_fighting():
    n = 40
    tr = track("AA:0.3 B:0.1 AA:0.3")
    m = mouth_track(tr, n, 25.0)
    happy = np.zeros((17, 2), np.float32)
    happy[AU_INDEX[12]] = 3.0
    perf = combine(happy, m, np.zeros((n, 3)), np.zeros(n), np.zeros((n, 2)))
    closed = m.closure == 1.0
    assert closed.any() and np.all(perf.aus[closed, AU_INDEX[12]] == 3.0)  # smile kept on "b"
    surprised = np.zeros((17, 2), np.float32)
    surprised[AU_INDEX[26]] = 2.5
    surprised[AU_INDEX[25]] = 2.5
    perf = combine(surprised, m, np.zeros((n, 3)), np.zeros(n), np.zeros((n, 2)))
    jaw_total = perf.aus[:, AU_INDEX[26]].mean(1) / 5 * 13 / 12 + perf.mouth[:, JAW]
    baseline = 2.5 / 5 * 13 / 12
    assert np.all(jaw_total[m.closure == 0] >= baseline - 1e-5)
    assert np.all(perf.aus[closed, AU_INDEX[25]] == 0) and np.all(jaw_total[closed] == 0)


def test_motion_is_seeded_and_still_is_still():
    tr = track("AA:0.3 T:0.1 AA:0.3 SIL:0.5 IY:0.4")
    a = head_motion(tr, 100, 25.0, seed=7)
    assert np.array_equal(a, head_motion(tr, 100, 25.0, seed=7))
    assert not np.allclose(a, head_motion(tr, 100, 25.0, seed=8))
    assert np.degrees(np.abs(a)).max() < 8.0 and np.degrees(a.std(0)).max() > 0.2
    assert np.all(head_motion(tr, 100, 25.0, seed=7, scale=0.0) == 0)
    assert np.array_equal(gaze_track(100, 25.0, 3), gaze_track(100, 25.0, 3))


def test_blinks_have_a_natural_rate():
    fps, minutes = 25.0, 2.0
    closure = blink_track(int(minutes * 60 * fps), fps, seed=1)
    onsets = np.nonzero((closure[1:] >= 0.99) & (closure[:-1] < 0.99))[0]
    assert 8 * minutes <= len(onsets) <= 30 * minutes
    gaps = np.diff(onsets) / fps
    assert gaps.min() > 0.2 and gaps.std() > 0.5     # random spacing, not a metronome
