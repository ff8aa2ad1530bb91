"""Speech -> talking video, end to end, on speech whose phoneme times are known exactly
(espeak-ng). Mouth openings are measured on the rendered frames with dlib's 68 landmarks
(independent of the MediaPipe pipeline). Skips without the `tts` / `judge` extras.
"""
from __future__ import annotations

import importlib.util
import json
import logging

import av
import numpy as np
import pytest

from emoface.drive.coarticulation import LEAD_S
from emoface.io.audio import save_wav
from emoface.types import Audio

HAS_ESPEAK = importlib.util.find_spec("espeakng_loader") is not None
HAS_DLIB = importlib.util.find_spec("dlib") is not None
pytestmark = pytest.mark.skipif(not HAS_ESPEAK, reason="needs the tts extra (espeakng-loader)")

LINE = "Bob saw a pop star. Mama and papa were happy."
FPS = 25.0


@pytest.fixture(scope="module")
def portrait(tmp_path_factory, astronaut_rgb):
    from emoface.io.images import save_image

    path = tmp_path_factory.mktemp("portrait") / "astronaut.png"
    save_image(path, astronaut_rgb)
    return path


@pytest.fixture(scope="module")
def spoken(tmp_path_factory, portrait):
    """say() at 768 px with a still head -> (Animation, frames [T, H, W, 3], curves dict)."""
    from emoface.animate import say
    from emoface.io.video import read_video

    out = tmp_path_factory.mktemp("say")
    anim = say(portrait, LINE, out / "say.mp4", size=768, still=True, export_curves=out / "c.json")
    frames = np.stack(list(read_video(out / "say.mp4")))
    return anim, frames, json.loads((out / "c.json").read_text()), out / "say.mp4"


def phone_frames(track, names):
    """Frame indices whose sample time falls inside any phone in `names`, per phone."""
    t = np.arange(int(round(track.end_s[-1] * FPS))) / FPS + LEAD_S
    return [np.nonzero((t >= s) & (t < e))[0] for p, s, e in zip(track.phones, track.start_s, track.end_s)
            if p in names]


@pytest.mark.skipif(not HAS_DLIB, reason="needs the judge extra (dlib)")
def test_lips_close_on_bilabials_and_open_on_open_vowels(spoken):
    from emoface.judge.dlib_face import landmarks68, mouth_opening

    anim, frames, _, _ = spoken
    opening = np.array([mouth_opening(landmarks68(f)) for f in frames])
    closures = [k for k in phone_frames(anim.phonemes, {"B", "P", "M"}) if len(k)]
    vowels = [k for k in phone_frames(anim.phonemes, {"AA", "AO", "AE", "AH"}) if len(k)]
    assert len(closures) >= 6 and len(vowels) >= 5
    closed = np.array([opening[k].min() for k in closures])
    opened = np.array([opening[k].max() for k in vowels])
    rest = opening[0]                                # leading silence: the relaxed, shut mouth
    assert rest < 0.05
    assert np.median(closed) < rest + 0.01, (rest, closed)   # lips as together as at rest
    assert np.all(closed < rest + 0.025), (rest, closed)
    assert np.median(opened) > rest + 0.06, opened           # visibly open (gap / inter-ocular)
    assert np.median(opened) > 3 * np.median(closed)


def test_video_length_matches_the_audio_and_carries_it(spoken):
    from emoface.io.video import video_info

    anim, frames, _, path = spoken
    info = video_info(path)
    audio_s = float(anim.phonemes.end_s[-1])
    assert info.has_audio and abs(len(frames) / FPS - audio_s) <= 1 / FPS
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and v.codec_context.pix_fmt == "yuv420p"
        assert a.codec_context.name == "aac"
        assert abs(float(a.duration * a.time_base) - audio_s) < 0.05


def test_curves_describe_every_frame(spoken):
    anim, frames, curves, _ = spoken
    assert curves["frame_count"] == len(frames) == len(curves["blendshapes"]) == len(curves["aus"])
    assert len(curves["blendshape_names"]) == 52 and len(curves["blendshapes"][0]) == 52
    assert len(curves["au_ids"]) == 17 and len(curves["head_pose_deg"][0]) == 3
    jaw = np.array(curves["blendshapes"])[:, curves["blendshape_names"].index("jawOpen")]
    assert jaw.max() > 0.2 and jaw.min() == 0.0          # it talks, and it closes
    assert np.allclose(curves["head_pose_deg"], 0.0)    # --still


def test_forced_alignment_finds_the_tts_phoneme_times(tmp_path):
    """pocketsphinx aligning a given transcript to espeak speech: phone starts within ~40 ms of
    the truth. (Whisper tiny.en mishears espeak's robotic voice, so the transcript is given.)"""
    from emoface.drive.speech import phoneme_track
    from emoface.drive.tts import synthesize
    from emoface.io.audio import load_audio

    text = "The quick brown fox jumps over the lazy dog."
    audio, truth = synthesize(text)
    save_wav(tmp_path / "s.wav", audio)
    found = phoneme_track(load_audio(tmp_path / "s.wav"), transcript=text)
    assert found.method == "forced-alignment"
    speech = [(p, s) for p, s in zip(found.phones, found.start_s) if p != "SIL"]
    errors = []
    for p, s in zip(truth.phones, truth.start_s):
        if p == "SIL":
            continue
        same = [t for q, t in speech if q == p]
        if same:
            errors.append(min(abs(t - s) for t in same))
    assert len(errors) >= 20 and np.median(errors) < 0.04, np.round(errors, 3)


def test_silent_audio_gives_an_idle_closed_mouth(tmp_path, portrait, caplog):
    from emoface.animate import animate

    save_wav(tmp_path / "quiet.wav", Audio(np.zeros(16000 * 2, np.float32), 16000))
    with caplog.at_level(logging.WARNING, logger="emoface"):
        anim = animate(portrait, tmp_path / "quiet.wav", tmp_path / "idle.mp4", size=256)
    assert any("audio is silent" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert anim.method == "silence" and len(anim.performance) == 50
    assert np.abs(anim.performance.mouth).max() == 0.0
    assert np.abs(anim.performance.head).max() > 0.0      # still alive: head drift, blinks


@pytest.mark.parametrize("case", ["missing", "corrupt", "empty"])
def test_bad_audio_is_one_clear_error_and_no_file(tmp_path, portrait, run_cli, case):
    audio = tmp_path / "speech.wav"
    if case == "corrupt":
        audio.write_bytes(b"RIFF not really a wav file" * 10)
    elif case == "empty":
        audio.write_bytes(b"")
    status, _, err = run_cli("animate", portrait, audio, "-o", tmp_path / "o.mp4")
    assert status == 2 and err.startswith("emoface: error:") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.mp4").exists() and not list(tmp_path.glob(".o.*"))


def test_say_cli_errors(tmp_path, portrait, run_cli):
    status, _, err = run_cli("say", portrait, "  ", "-o", tmp_path / "o.mp4")
    assert status == 2 and "text" in err
    status, _, err = run_cli("say", portrait, "hi", "-o", tmp_path / "o.mp4", "--voice", "en-uss")
    assert status == 2 and "en-us" in err
    status, _, err = run_cli("say", portrait, "hi", "-o", tmp_path / "o.png")
    assert status == 2 and ".mp4" in err
    assert not (tmp_path / "o.mp4").exists()


def test_video_demo_needs_no_files(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run_cli("demo")
    assert status == 0, err
    with av.open(str(tmp_path / "demo.mp4")) as c:
        assert c.streams.video[0].frames > 100 and len(c.streams.audio) == 1


def test_emotion_timeline_switches_on_its_key(tmp_path, portrait):
    from emoface.animate import say
    from emoface.control.timeline import parse_timeline
    from emoface.vocab import AU_INDEX

    keys = parse_timeline("0:neutral 1.0:happy@3")
    anim = say(portrait, "Good morning, everybody. How are you all today?", tmp_path / "t.mp4",
               size=256, timeline=keys, transition_s=0.3)
    smile = anim.performance.aus[:, AU_INDEX[12]].mean(1)
    t = np.arange(len(smile)) / FPS
    assert smile[t < 0.8].max() < 0.5 and smile[t > 1.2].min() > 2.0
    half = t[np.argmax(smile > (smile[t < 0.8].max() + smile[t > 1.2].min()) / 2)]
    assert 0.9 < half < 1.1                       # the change eases over the transition, centred on the key


def test_timeline_cli_errors(tmp_path, portrait, run_cli):
    status, _, err = run_cli("say", portrait, "hi", "-o", tmp_path / "o.mp4", "--emotion", "0:neutral 1:hapy@2")
    assert status == 2 and "hapy" in err and "choose one of" in err
    status, _, err = run_cli("say", portrait, "hi", "-o", tmp_path / "o.mp4", "--emotion", "0:happy", "--level", "2")
    assert status == 2 and "timeline" in err
    assert not (tmp_path / "o.mp4").exists()
