"""Audio and video at the edge (io.audio, io.video), on inputs synthesised here with PyAV.

Known answers: a 1.5 s 440 Hz tone stays 1.5 s and 440 Hz through every codec; a stereo pair
averages to mono; 50 frames at 25 fps make a 2.0 s H.264 video whose frames read back close to
the ones written; failures leave no file behind.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from emoface.errors import InputError
from emoface.io import audio as audio_io
from emoface.io import (
    VideoInfo,
    VideoWriter,
    extract_audio,
    is_silent,
    load_audio,
    read_video,
    rms_dbfs,
    video_info,
)
from emoface.types import Audio

TONE_HZ, TONE_S = 440.0, 1.5

# extension -> (encoder, sample rate it is written at, encoder options)
CODECS = {
    "wav": ("pcm_s16le", 44100, {}),
    "mp3": ("libmp3lame", 44100, {}),
    "flac": ("flac", 44100, {}),
    "ogg": ("vorbis", 44100, {"strict": "-2"}),  # FFmpeg's own Vorbis encoder is "experimental"
    "opus": ("libopus", 48000, {}),  # Opus runs at 48 kHz only
    "m4a": ("aac", 44100, {}),
}


def write_audio(path: Path, channels: np.ndarray, rate: int, codec: str, options: dict | None = None) -> Path:
    """Encode `channels` ([C, N] float in [-1, 1], C = 1 or 2) at `rate` Hz with `codec`."""
    layout = "mono" if channels.shape[0] == 1 else "stereo"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        stream.codec_context.options = dict(options or {})
        out.start_encoding()  # header even when there are no samples
        for start in range(0, channels.shape[1], 4096):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(channels[:, start:start + 4096], np.float32), format="fltp", layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def tone(rate: int, seconds: float = TONE_S, hz: float = TONE_HZ, amp: float = 0.5) -> np.ndarray:
    """[N] float64 sine."""
    return amp * np.sin(2 * np.pi * hz * np.arange(round(seconds * rate)) / rate)


def peak_hz(audio: Audio) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples * np.hanning(len(audio.samples))))
    return float(np.argmax(spectrum) * audio.sample_rate / len(audio.samples))


def gradient(width: int, height: int, shift: int = 0) -> np.ndarray:
    """A smooth RGB uint8 [height, width, 3] gradient, shifted right by `shift` px."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x = (x - shift) % width
    rgb = np.stack([x / width, y / height, 0.5 + 0.25 * np.sin(x / 9.0 + y / 13.0)], axis=-1)
    return (rgb * 255).round().astype(np.uint8)


def write_silent_video(path: Path, frames: int = 5, size: int = 32) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(gradient(size, size, i), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> dict[str, Path]:
    """The stereo 1.5 s 440 Hz tone in every format of CODECS."""
    folder = tmp_path_factory.mktemp("tones")
    made = {}
    for ext, (codec, rate, options) in CODECS.items():
        wave = tone(rate)
        made[ext] = write_audio(folder / f"tone.{ext}", np.stack([wave, wave]), rate, codec, options)
    return made


# ---------------------------------------------------------------- load_audio


@pytest.mark.parametrize("ext", list(CODECS))
def test_load_audio_every_format_keeps_length_and_pitch(tones, ext):
    audio = load_audio(tones[ext])
    assert audio.sample_rate == 16000 and audio.source == str(tones[ext])
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert abs(len(audio.samples) - TONE_S * 16000) <= 16, len(audio.samples)  # within 1 ms
    assert abs(peak_hz(audio) - TONE_HZ) < 2.0
    assert np.abs(audio.samples).max() <= 1.0
    assert abs(np.abs(audio.samples).max() - 0.5) < 0.05


def test_load_audio_other_rate(tones):
    audio = load_audio(tones["flac"], sample_rate=22050)
    assert audio.sample_rate == 22050 and len(audio.samples) == round(TONE_S * 22050)
    assert abs(peak_hz(audio) - TONE_HZ) < 2.0


def test_stereo_is_averaged_to_mono(tmp_path):
    # left 0.6 sin, right 0.2 sin -> mono 0.4 sin; left +0.3, right -0.3 of another tone cancels
    rate = 44100
    a, b = tone(rate, 1.0, 440.0, 1.0), tone(rate, 1.0, 1000.0, 1.0)
    path = write_audio(tmp_path / "lr.wav", np.stack([0.6 * a + 0.3 * b, 0.2 * a - 0.3 * b]), rate, "pcm_s16le")
    audio = load_audio(path)
    spectrum = np.abs(np.fft.rfft(audio.samples)) * 2 / len(audio.samples)
    hz = np.fft.rfftfreq(len(audio.samples), 1 / 16000)
    assert spectrum[np.argmin(abs(hz - 440))] == pytest.approx(0.4, abs=0.01)
    assert spectrum[np.argmin(abs(hz - 1000))] < 0.005


def test_silence_is_valid_and_detected(tmp_path):
    path = write_audio(tmp_path / "quiet.wav", np.zeros((1, 8000)), 8000, "pcm_s16le")
    audio = load_audio(path)
    assert len(audio.samples) == 16000 and is_silent(audio)
    assert rms_dbfs(audio) == float("-inf")
    assert not is_silent(Audio(tone(16000, amp=0.01).astype(np.float32), 16000))  # about -43 dBFS
    assert is_silent(Audio(tone(16000, amp=0.002).astype(np.float32), 16000))  # about -57 dBFS


def test_mp4_with_sound(tmp_path, tones):
    out = tmp_path / "v.mp4"
    with VideoWriter(out, 25, (32, 32), audio_source=tones["wav"]) as vw:
        for i in range(38):
            vw.write(gradient(32, 32, i))
    audio = extract_audio(out)
    assert abs(audio.duration_s - TONE_S) < 0.001  # the mp4 header's length trims AAC's padding
    assert abs(peak_hz(audio) - TONE_HZ) < 2.0


def test_shared_video_sound(media_dir):
    audio = load_audio(media_dir / "video" / "theresa_may_address_5s.mp4")
    assert audio.duration_s == pytest.approx(5.0, abs=0.03) and not is_silent(audio)


def test_audio_errors_name_the_problem(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    no_samples = write_audio(tmp_path / "nothing.wav", np.zeros((1, 0)), 16000, "pcm_s16le")
    video_only = write_silent_video(tmp_path / "mute.mp4")
    cases = {
        tmp_path / "missing.wav": "no such file",
        tmp_path: "directory",
        text: "not a media file",
        empty: "empty",
        no_samples: "no samples",
        video_only: "no audio stream (a video without sound)",
    }
    for path, problem in cases.items():
        with pytest.raises(InputError) as caught:
            load_audio(path)
        message = str(caught.value)
        assert problem in message and str(path) in message and "\n" not in message, message


def test_image_has_no_audio(tmp_path, tiny_rgb):
    from emoface.io import save_image

    path = save_image(tmp_path / "face.png", tiny_rgb)
    with pytest.raises(InputError, match="no audio stream"):
        load_audio(path)


def test_too_long_audio_is_refused(tones, monkeypatch):
    monkeypatch.setattr(audio_io, "MAX_AUDIO_S", 1.0)
    with pytest.raises(InputError, match=r"long; the limit is \d"):
        load_audio(tones["wav"])  # caught while decoding (the header says 1.5 s: under cap + 1 s)
    monkeypatch.setattr(audio_io, "MAX_AUDIO_S", 0.2)
    with pytest.raises(InputError, match=r"long; the limit is \d"):
        load_audio(tones["flac"])  # caught from the header


# ---------------------------------------------------------------- VideoWriter


def test_video_writer_h264_aac(tmp_path, tones):
    out = tmp_path / "talk.mp4"
    frames = [gradient(96, 64, 2 * i) for i in range(50)]
    with VideoWriter(out, fps=25, size_wh=(96, 64), audio_source=tones["m4a"]) as vw:
        for rgb in frames:
            vw.write(rgb)
        assert vw.duration_s == pytest.approx(2.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4"]  # no temporary left over
    with av.open(str(out)) as probe:
        video, audio = probe.streams.video[0], probe.streams.audio[0]
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        assert video.frames == 50 and float(video.duration * video.time_base) == pytest.approx(2.0)
        assert (video.codec_context.width, video.codec_context.height) == (96, 64)
        assert audio.codec_context.name == "aac"
        assert audio.codec_context.sample_rate == 44100 and audio.codec_context.layout.nb_channels == 2
        assert float(audio.duration * audio.time_base) == pytest.approx(TONE_S, abs=0.001)
    assert video_info(out) == VideoInfo(fps=25.0, frame_count=50, size_wh=(96, 64), duration_s=2.0, has_audio=True)
    back = list(read_video(out))
    assert len(back) == 50 and back[0].shape == (64, 96, 3) and back[0].dtype == np.uint8
    diff = np.mean([np.abs(a.astype(np.int16) - b).mean() for a, b in zip(back, frames)])
    assert diff < 3.0, diff


def test_video_writer_mono_16k_sound_kept(tmp_path, media_dir):
    speech = media_dir / "audio" / "en_librispeech_1995-1837-0001.wav"
    out = tmp_path / "speech.mp4"
    with VideoWriter(out, 25, (32, 32), audio_source=speech) as vw:
        for i in range(round(8.73 * 25)):
            vw.write(gradient(32, 32))
    with av.open(str(out)) as probe:
        cc = probe.streams.audio[0].codec_context
        assert (cc.sample_rate, cc.layout.nb_channels) == (16000, 1)
    source, muxed = load_audio(speech), load_audio(out)
    n = min(len(source.samples), len(muxed.samples))
    assert abs(len(source.samples) - len(muxed.samples)) < 1024
    assert np.corrcoef(source.samples[:n], muxed.samples[:n])[0, 1] > 0.99  # in sync, not shifted


def test_video_writer_pads_odd_sizes(tmp_path):
    out = tmp_path / "odd.mp4"
    rgb = gradient(33, 21)
    with VideoWriter(out, 25, (33, 21)) as vw:
        assert vw.out_size_wh == (34, 22)
        for _ in range(3):
            vw.write(rgb)
    info = video_info(out)
    assert info.size_wh == (34, 22) and not info.has_audio
    back = next(read_video(out))
    assert np.abs(back[:21, :33].astype(np.int16) - rgb).mean() < 6.0
    assert np.abs(back[:21, 33].astype(np.int16) - rgb[:, 32]).mean() < 8.0  # last column repeated


@pytest.mark.parametrize("interrupt", [RuntimeError("render failed"), KeyboardInterrupt()])
def test_video_writer_leaves_no_file_on_error(tmp_path, tones, interrupt):
    out = tmp_path / "broken.mp4"
    with pytest.raises(type(interrupt)):
        with VideoWriter(out, 25, (32, 32), audio_source=tones["wav"]) as vw:
            for i in range(5):
                vw.write(gradient(32, 32, i))
            raise interrupt
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_video_writer_keeps_old_file_on_error(tmp_path):
    out = tmp_path / "old.mp4"
    out.write_bytes(b"previous result")
    with pytest.raises(ValueError, match="expects RGB uint8"):
        with VideoWriter(out, 25, (32, 32)) as vw:
            vw.write(np.zeros((32, 30, 3), np.uint8))
    assert out.read_bytes() == b"previous result" and len(list(tmp_path.iterdir())) == 1


def test_video_writer_refuses_bad_requests(tmp_path, tones):
    source = tmp_path / "source.mp4"
    with VideoWriter(source, 25, (32, 32), audio_source=tones["wav"]) as vw:
        vw.write(gradient(32, 32))
    with pytest.raises(InputError, match="refusing to overwrite the input file"):
        VideoWriter(source, 25, (32, 32), audio_source=source)
    with pytest.raises(InputError, match="unknown video extension"):
        VideoWriter(tmp_path / "out.avi", 25, (32, 32))
    with pytest.raises(InputError, match="no audio stream"):
        with VideoWriter(tmp_path / "out.mp4", 25, (32, 32), audio_source=write_silent_video(tmp_path / "mute.mp4")):
            pass
    with pytest.raises(ValueError, match="no frames"):
        with VideoWriter(tmp_path / "out.mp4", 25, (32, 32)):
            pass
    with pytest.raises(ValueError, match="preset"):
        VideoWriter(tmp_path / "out.mp4", 25, (32, 32), preset="warp9")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mute.mp4", "source.mp4"]


# ---------------------------------------------------------------- reading video


def test_read_video_errors(tmp_path, tones):
    with pytest.raises(InputError, match="no video stream"):
        read_video(tones["wav"])  # raised at the call, before iterating
    with pytest.raises(InputError, match="no such file"):
        video_info(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01 definitely not a movie " * 50)
    with pytest.raises(InputError, match="not a media file"):
        video_info(junk)


def test_read_video_applies_display_rotation(tmp_path):
    path = tmp_path / "phone.mp4"
    rgb = np.zeros((32, 64, 3), np.uint8)
    rgb[:, :8] = 255  # white stripe on the left
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(90)  # shown turned 90 degrees counter-clockwise
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    assert video_info(path).size_wh == (32, 64)
    upright = next(read_video(path))
    assert upright.shape == (64, 32, 3)
    assert upright[-4:].mean() > 200 and upright[:-8].mean() < 40  # the left edge is now the bottom


def test_shared_video_info(media_dir):
    info = video_info(media_dir / "video" / "mead_W009_happy_256.mp4")
    assert info == VideoInfo(fps=25.0, frame_count=108, size_wh=(256, 256), duration_s=4.32, has_audio=False)
    frames = read_video(media_dir / "video" / "mead_W009_happy_256.mp4")
    assert next(frames).shape == (256, 256, 3)
    frames.close()
