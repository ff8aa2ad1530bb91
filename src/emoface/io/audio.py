"""Read speech from any audio or video file (PyAV / FFmpeg) as mono float32 at one sample rate.

`load_audio` accepts whatever FFmpeg decodes: wav, mp3, flac, m4a/aac, ogg (vorbis, opus), and
the sound track of a video (mp4, mov, mkv, webm). It resamples to `sample_rate` and averages the
channels. User errors (missing, empty, damaged or soundless files, clips over `MAX_AUDIO_S`)
become one-line `InputError`s; silence is not an error (the caller animates an idle face).

Convention: samples are float32 in [-1, 1], 1.0 = digital full scale; time 0 is the first
decoded sample (a stream's start offset and gaps are ignored).
"""
from __future__ import annotations

import os
import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from ..errors import InputError
from ..types import Audio

MAX_AUDIO_S = 30 * 60.0  # refuse clips over 30 minutes (16 kHz float32: ~115 MB)


def load_audio(path: str | os.PathLike, sample_rate: int = 16000) -> Audio:
    """Decode the first audio stream of `path` to `Audio` (samples `[N]` float32 mono in [-1, 1]).

    path:         an audio file, or a video file with sound.
    sample_rate:  output rate in Hz (8000-192000); FFmpeg's resampler converts any input rate.

    Stereo and multichannel audio is downmixed by averaging the channels. `Audio.source` is
    `str(path)`. Raises `InputError` (one line naming the file) for a missing path, a directory,
    an empty, non-media or damaged file, a file without an audio stream (an image, a video
    without sound), audio with no samples, and audio longer than `MAX_AUDIO_S`.
    """
    if not 8000 <= int(sample_rate) <= 192000:
        raise ValueError(f"sample_rate must be 8000-192000 Hz; got {sample_rate}")
    sample_rate = int(sample_rate)
    path = Path(path)
    chunks, length = _decode_mono(path, sample_rate, max_samples=int(MAX_AUDIO_S * sample_rate))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if length is not None and 0 < length < samples.size:
        samples = samples[:length]  # drop the encoder's padding after the last real sample
    if samples.size == 0:
        raise InputError(f"cannot read audio from {path}: the audio stream has no samples (zero length)")
    if not np.isfinite(samples).all():
        raise InputError(f"cannot read audio from {path}: damaged audio data (NaN or infinite samples)")
    np.clip(samples, -1.0, 1.0, out=samples)
    return Audio(samples=samples, sample_rate=sample_rate, source=str(path))


def extract_audio(path: str | os.PathLike, sample_rate: int = 16000) -> Audio:
    """The sound track of a video as `Audio` (`[N]` float32 mono at `sample_rate` Hz).

    Same as `load_audio`; a video without sound raises `InputError` ("... it has no audio
    stream (a video without sound)").
    """
    return load_audio(path, sample_rate)


def rms_dbfs(audio: Audio) -> float:
    """Root-mean-square level of the whole clip in dBFS (0 dB = a constant at full scale;
    a full-scale sine is -3 dB); -inf for digital silence or an empty clip."""
    x = np.asarray(audio.samples, np.float64)
    if x.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(x * x)))
    return 20.0 * np.log10(rms) if rms > 0.0 else float("-inf")


def is_silent(audio: Audio, threshold_dbfs: float = -50.0) -> bool:
    """True when the clip's RMS level over its whole length is below `threshold_dbfs` (dBFS)."""
    return rms_dbfs(audio) < threshold_dbfs


def pcm16_bytes(samples: np.ndarray) -> bytes:
    """Float samples [N] in [-1, 1] (clipped) -> little-endian 16-bit PCM bytes."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def save_wav(path: str | os.PathLike, audio: Audio) -> None:
    """Write mono float audio (`Audio.samples` in [-1, 1]) as a 16-bit PCM wav at its own rate
    (e.g. synthesised speech to mux into a video, or test and benchmark clips)."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(int(audio.sample_rate))
        f.writeframes(pcm16_bytes(audio.samples))


def open_media(path: Path, what: str = "read") -> av.container.InputContainer:
    """Open `path` with FFmpeg for reading; every failure becomes a one-line `InputError`.

    `what` words the message: "cannot {what} {path}: ...".
    """
    if not path.exists():
        raise InputError(f"cannot {what} {path}: no such file")
    if path.is_dir():
        raise InputError(f"cannot {what} {path}: it is a directory, not a file")
    if not path.is_file():
        raise InputError(f"cannot {what} {path}: not a regular file")
    if path.stat().st_size == 0:
        raise InputError(f"cannot {what} {path}: the file is empty")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except PermissionError as exc:
        raise InputError(f"cannot {what} {path}: permission denied") from exc
    except av.FFmpegError as exc:
        raise InputError(f"cannot {what} {path}: not a media file FFmpeg can decode, or damaged "
                         f"({ffmpeg_reason(exc)})") from exc
    except OSError as exc:
        raise InputError(f"cannot {what} {path}: {exc.strerror or exc}") from exc


def first_audio_stream(container: av.container.InputContainer, path: Path, what: str) -> av.audio.AudioStream:
    """The first audio stream, or `InputError` saying what the file holds instead."""
    if container.streams.audio:
        return container.streams.audio[0]
    if container.streams.video:
        kind = "an image" if _looks_like_image(container) else "a video without sound"
        raise InputError(f"cannot {what} {path}: it has no audio stream ({kind})")
    raise InputError(f"cannot {what} {path}: it has no audio stream")


def _decode_mono(path: Path, sample_rate: int, max_samples: int) -> tuple[list[np.ndarray], int | None]:
    """Decode the first audio stream -> (`[n]` float32 mono chunks at `sample_rate`, exact length).

    The exact length (in output samples) comes from `exact_duration_s`; None for containers whose
    demuxers trim padding themselves or only estimate the duration (e.g. VBR mp3).
    """
    what = "read audio from"
    container = open_media(path, what)
    try:
        stream = first_audio_stream(container, path, what)
        if container.duration is not None and container.duration / 1e6 > MAX_AUDIO_S + 1.0:
            raise _too_long(path, container.duration / 1e6)
        exact_s = exact_duration_s(container, stream)
        length = None if exact_s is None else round(exact_s * sample_rate)
        chunks = list(_resampled_mono(container, stream, path, sample_rate, max_samples))
        return chunks, length
    finally:
        container.close()


def exact_duration_s(container: av.container.InputContainer, stream: av.audio.AudioStream) -> float | None:
    """The audio stream's true duration in s where the container records it exactly (mp4/mov/m4a,
    whose last AAC frame decodes to a whole 1024 samples of which the tail is padding); else None."""
    if "mp4" in container.format.name.split(",") and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _resampled_mono(container: av.container.InputContainer, stream: av.audio.AudioStream, path: Path,
                    sample_rate: int, max_samples: int) -> Iterator[np.ndarray]:
    """Yield `[n]` float32 chunks of `stream`, resampled to `sample_rate` and averaged to mono."""
    what = "read audio from"
    stream.thread_type = "AUTO"
    resampler, setup, total = None, None, 0
    try:
        for frame in decoded_frames(container, stream):
            frame_setup = (frame.format.name, frame.layout.nb_channels, frame.sample_rate)
            if setup != frame_setup:  # first frame, or the stream changed layout or rate mid-way
                if resampler is not None:
                    yield from _mono(resampler.resample(None))
                # planar float at the target rate, channels kept: we average them ourselves
                # (swresample's stereo->mono matrix is 0.707 L + 0.707 R, which can clip)
                resampler, setup = av.AudioResampler(format="fltp", rate=sample_rate), frame_setup
            frame.pts = None  # decoder timestamps may jump; we only need the sample order
            for chunk in _mono(resampler.resample(frame)):
                total += chunk.size
                if total > max_samples:
                    raise _too_long(path, total / sample_rate, at_least=True)
                yield chunk
        if resampler is not None:
            yield from _mono(resampler.resample(None))
    except av.FFmpegError as exc:
        raise InputError(f"cannot {what} {path}: damaged audio data ({ffmpeg_reason(exc)})") from exc


def decoded_frames(container: av.container.InputContainer, stream: av.audio.AudioStream) -> Iterator[av.AudioFrame]:
    """Decoded frames of `stream`, skipping packets the decoder rejects as long as some decode.

    A truncated last packet (common in downloaded mp3s) is dropped rather than failing the file;
    a stream where nothing decodes raises the decoder's error.
    """
    decoded_any, first_error = False, None
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError as exc:
            first_error = first_error or exc
            continue
        for frame in frames:
            decoded_any = True
            yield frame
    if not decoded_any and first_error is not None:
        raise first_error


def _mono(frames: list[av.AudioFrame]) -> Iterator[np.ndarray]:
    for frame in frames:
        planes = frame.to_ndarray()  # [channels, n] float32 (planar)
        if planes.shape[-1]:
            yield planes.mean(axis=0, dtype=np.float32) if planes.shape[0] > 1 else planes[0].copy()


def _too_long(path: Path, seconds: float, at_least: bool = False) -> InputError:
    more = "over " if at_least else ""
    return InputError(f"cannot read audio from {path}: it is {more}{_minutes(seconds)} long; "
                      f"the limit is {_minutes(MAX_AUDIO_S)} (cut it into shorter clips)")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} minutes" if seconds >= 60 else f"{seconds:.1f} s"


def _looks_like_image(container: av.container.InputContainer) -> bool:
    name = container.format.name
    return name.endswith("_pipe") or name in ("image2", "png", "gif", "webp")


def ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's own short error text, without the file name PyAV appends."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(":")[0].strip() or type(exc).__name__
