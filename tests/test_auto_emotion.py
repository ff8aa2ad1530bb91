"""`--emotion auto`: an emotion per sentence from the words (VADER, NRC lexicon) and the voice
(pitch, loudness, speaking rate -> arousal), with the reasons logged and exported."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from emoface.control.auto import Sentence, choices_timeline, choose, choose_emotions, find_sentences
from emoface.drive.pitch import pitch_track, pitch_track_reference
from emoface.types import Audio, PhonemeTrack

HAS_ESPEAK = importlib.util.find_spec("espeakng_loader") is not None
SR = 16000


def _choose(text: str) -> tuple[str, float]:
    emotion, level, _ = choose(Sentence(text, 0.0, 2.0), None)
    return emotion, level


@pytest.mark.parametrize("text, emotion", [
    ("I am so happy to see you, this is wonderful!", "happy"),
    ("What a lovely day, I love it here.", "happy"),
    ("I miss her terribly and I am so sad, the tears will not stop.", "sad"),
    ("It was the saddest, loneliest night of my life, full of grief.", "sad"),
    ("The meeting is at three o'clock in room four.", "neutral"),
    ("Please put the box on the table next to the window.", "neutral"),
    ("I am furious, how dare you lie to me!", "angry"),
    ("I'm terrified, something is moving in the dark.", "fear"),
    ("That smell is disgusting, it makes me sick.", "disgusted"),
    ("Wow, what a surprise, I never expected that!", "surprised"),
])
def test_words_choose_the_obvious_emotion(text, emotion):
    chosen, level = _choose(text)
    assert chosen == emotion
    assert (level == 0.0) if emotion == "neutral" else (0.75 <= level <= 3.0)


def test_negation_and_strength():
    assert _choose("I am not happy about this at all.")[0] != "happy"
    assert _choose("I am happy.")[1] < _choose("I am so incredibly happy, this is the best day ever!")[1]


def test_mixed_words_keep_the_running_emotion():
    mixed = Sentence("It was not so much the loss, but the hopes and the dreams.", 0.0, 3.0)
    assert choose(mixed, None, previous="sad")[0] == "sad"        # loss: sadness..., hopes: joy...
    clear = Sentence("I am so happy, this is wonderful!", 0.0, 2.0)
    assert choose(clear, None, previous="sad")[0] == "happy"      # clear words are not held back


def _track(words: list[tuple[str, float, float]], end_s: float) -> PhonemeTrack:
    """A PhonemeTrack with one vowel per word (AH) and silence between words."""
    phones, starts, ends = [], [], []
    t = 0.0
    for _, s, e in words:
        if s > t:
            phones.append("SIL"), starts.append(t), ends.append(s)
        phones.append("AH"), starts.append(s), ends.append(e)
        t = e
    phones.append("SIL"), starts.append(t), ends.append(end_s)
    return PhonemeTrack(tuple(phones), np.array(starts), np.array(ends), np.zeros(len(phones), np.int8),
                        "forced-alignment", tuple(words))


def test_sentences_come_from_punctuation_or_pauses():
    said = "i am happy today. the rain stopped! now we wait"
    words, t = [], 0.2
    for i, w in enumerate(said.replace(".", "").replace("!", "").split()):
        words.append((w, t, t + 0.25))
        t += 0.3 + (0.6 if i in (3, 6) else 0.0)      # pauses after "today" and "stopped"
    track = _track(words, t + 0.5)
    text = "I am happy today. The rain stopped! Now we wait"
    found = find_sentences(track, text)
    assert [s.text for s in found] == ["I am happy today.", "The rain stopped!", "Now we wait"]
    assert found[1].start_s == pytest.approx(words[4][1]) and found[1].end_s == pytest.approx(words[6][2])
    by_pause = find_sentences(track, None)                 # a Whisper word track has no punctuation
    assert [s.words for s in by_pause] == [tuple(w for w, _, _ in words[:4]), tuple(w for w, _, _ in words[4:7]),
                                           tuple(w for w, _, _ in words[7:])]
    assert find_sentences(track, "Completely different words.") == by_pause   # nothing matched
    choices = choose_emotions(track, None, text)
    keys = choices_timeline(choices)
    assert keys[0].time_s == 0.0 and keys[0].emotion == "happy"
    assert words[3][2] <= choices[1].key_s <= words[4][1]   # the face changes in the pause


def _voiced(f0: np.ndarray) -> np.ndarray:
    """A harmonic voice following the per-sample F0 contour `f0` (Hz)."""
    phase = 2 * np.pi * np.cumsum(f0) / SR
    return (0.3 * sum(np.sin(k * phase) / k for k in range(1, 8))).astype(np.float32)


def test_pitch_track_follows_a_glide_and_matches_the_reference():
    t = np.arange(2 * SR) / SR
    samples = _voiced(140.0 * 2 ** (t / 2))                 # one octave up over 2 s
    samples[: SR // 4] = 0.0
    audio = Audio(samples, SR)
    fast, slow = pitch_track(audio), pitch_track_reference(audio)
    assert np.array_equal(fast.voiced, slow.voiced) and np.allclose(fast.f0_hz, slow.f0_hz, equal_nan=True)
    centres = (np.arange(len(fast.f0_hz)) + 0.5) * 0.01
    truth = 140.0 * 2 ** (centres / 2)
    voiced = fast.voiced
    assert not voiced[:20].any() and voiced[30:190].all()   # silence unvoiced, the tone voiced
    assert np.max(np.abs(fast.f0_hz[voiced] / truth[voiced] - 1)) < 0.01


def test_an_excited_voice_has_more_arousal_than_a_flat_one():
    from emoface.control.auto import voice_features

    t = np.arange(3 * SR) / SR
    slow = _track([(f"w{i}", 0.1 + 0.5 * i, 0.5 + 0.5 * i) for i in range(5)], 3.0)      # 2 vowels/s
    fast = _track([(f"w{i}", 0.1 + 0.18 * i, 0.25 + 0.18 * i) for i in range(15)], 3.0)  # 6.7 vowels/s

    def spoken(f0, track):  # voice only while a word is said
        gate = np.zeros_like(t)
        for _, s, e in track.words:
            gate[(t >= s) & (t < e)] = 1.0
        return (_voiced(f0) * gate).astype(np.float32)

    flat = spoken(np.full_like(t, 120.0), slow)
    lively = spoken(200.0 * 2 ** (0.5 * np.sin(2 * np.pi * 1.5 * t)), fast)    # +-6 semitones
    sentence = [Sentence("x", 0.1, 2.8)]
    calm = voice_features(sentence, slow, Audio(flat, SR))[0]
    excited = voice_features(sentence, fast, Audio(lively, SR))[0]
    assert calm.f0_median_hz == pytest.approx(120.0, rel=0.02) and calm.f0_range_st < 0.5
    assert excited.f0_range_st > 3.0 and excited.rate_syl_s > calm.rate_syl_s
    assert excited.arousal > 0.3 > -0.3 > calm.arousal
    # the voice breaks a tie between two emotions the words support equally
    tie = Sentence("The abyss.", 0.0, 1.0)                    # NRC: abyss -> fear, sadness
    assert choose(tie, calm)[0] == "sad" and choose(tie, excited)[0] == "fear"


@pytest.mark.skipif(not HAS_ESPEAK, reason="needs the tts extra (espeakng-loader)")
def test_say_auto_logs_exports_and_shows_its_choices(tmp_path, run_cli, astronaut_rgb, caplog):
    from emoface.io.images import save_image
    from emoface.vocab import AU_IDS

    save_image(tmp_path / "a.png", astronaut_rgb)
    text = "I am so happy to see you, this is wonderful! I miss her terribly and the tears will not stop."
    status, _, err = run_cli("say", "-v", tmp_path / "a.png", text, "-o", tmp_path / "o.mp4", "--size", "128",
                             "--still", "--emotion", "auto", "--export-curves", tmp_path / "c.json",
                             "--export-les", tmp_path / "l.csv")
    assert status == 0, err
    lines = [ln for ln in err.splitlines() if ln.startswith("emoface: emotion auto")]
    assert len(lines) == 2 and "happy" in lines[0] and "sad" in lines[1] and "VADER" in lines[0]
    curves = json.loads((tmp_path / "c.json").read_text())
    chosen = curves["emotion_auto"]
    assert [c["emotion"] for c in chosen] == ["happy", "sad"] and all(c["reason"] for c in chosen)
    assert chosen[1]["voice"]["rate_syl_s"] > 2 and "tears" in chosen[1]["emotion_words"]
    aus, t = np.array(curves["aus"]), np.array(curves["time_s"])
    first = (t > 0.5) & (t < chosen[0]["end_s"])
    second = t > chosen[1]["start_s"] + 0.5
    assert aus[first, AU_IDS.index(12)].mean() > 2.0 > aus[second, AU_IDS.index(12)].mean()
    assert aus[second, AU_IDS.index(15)].mean() > 1.0 > aus[first, AU_IDS.index(15)].mean()
    from emoface.control.keyframes import load_keyframes

    replay = load_keyframes(tmp_path / "c.json")          # the curves file replays as keyframes
    assert [(k.emotion, k.level) for k in replay] == [(c["emotion"], c["level"]) for c in chosen]
    rows = (tmp_path / "l.csv").read_text().splitlines()
    assert len(rows) == len(t) + 1 and rows[10].split(",")[2] == "happy" and rows[-1].split(",")[2] == "sad"


def test_auto_cli_errors(tmp_path, run_cli, astronaut_rgb):
    from emoface.io.images import save_image

    save_image(tmp_path / "a.png", astronaut_rgb)
    status, _, err = run_cli("say", tmp_path / "a.png", "hi", "-o", tmp_path / "o.mp4", "--emotion", "auto",
                             "--level", "2")
    assert status == 2 and "auto" in err and not (tmp_path / "o.mp4").exists()
    status, _, err = run_cli("express", tmp_path / "a.png", "-o", tmp_path / "o.png", "--emotion", "auto")
    assert status == 2 and "unknown emotion 'auto'" in err
