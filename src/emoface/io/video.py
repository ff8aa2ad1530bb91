"""Write and read talking-head videos (PyAV / FFmpeg): H.264 + AAC mp4 out, RGB frames in.

`VideoWriter` streams frames one at a time into libx264 (yuv420p, BT.709, limited range) and
interleaves the AAC transcode of an audio file as it goes, so memory stays bounded for long clips;
the file appears atomically on success (io.images.atomic_output). `read_video` yields RGB frames
upright (a phone's display rotation applied); `video_info` reads the header.

Convention: frames are RGB uint8 `[H, W, 3]`; `size_wh` is (width, height) in px; time in s.
"""
from __future__ import annotations

import contextlib
import math
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import InputError
from .audio import decoded_frames, exact_duration_s, ffmpeg_reason, first_audio_stream, open_media
from .images import atomic_output, check_output_path

# Output containers by extension; all take H.264 + AAC.
VIDEO_FORMATS: dict[str, str] = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
AAC_RATES = frozenset({96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350})
AAC_FALLBACK_RATE = 48000
AAC_BITRATE_PER_CHANNEL = 64_000  # bit/s; transparent enough for speech
AAC_FRAME = 1024  # samples per AAC frame
# x264 threads: on 2 cores, 2 threads encode ~25% faster than 1 at "veryfast" and as fast as
# x264's own choice (1.5 x cores); more than 4 buys little at talking-head sizes.
X264_THREADS = min(4, os.cpu_count() or 1)
_AVCOL_PRI_BT709 = _AVCOL_TRC_BT709 = _AVCOL_SPC_BT709 = 1
_AVCOL_RANGE_MPEG = 1


@dataclass(frozen=True)
class VideoInfo:
    """What a video file's header says (upright: a 90-degree display rotation swaps the size).

    fps:          frames per second (the stream's average rate).
    frame_count:  frames in the stream; an estimate (duration * fps) when the header has no count.
    size_wh:      (width, height) in px as displayed.
    duration_s:   seconds of video.
    has_audio:    whether the file has an audio stream.
    """

    fps: float
    frame_count: int
    size_wh: tuple[int, int]
    duration_s: float
    has_audio: bool

    @property
    def is_still(self) -> bool:
        """A single picture (a PNG or JPEG that FFmpeg opens as a one-frame video), not a video."""
        return self.frame_count <= 1 and self.duration_s <= 0.1


def video_info(path: str | os.PathLike) -> VideoInfo:
    """Read `VideoInfo` from `path`; `InputError` for an unreadable file or one with no video."""
    path = Path(path)
    container, stream = _open_video(path)
    try:
        fps = float(stream.average_rate or stream.guessed_rate or stream.base_rate or 0.0)
        duration_s = 0.0
        if stream.duration and stream.time_base:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration:
            duration_s = container.duration / 1e6
        frame_count = int(stream.frames or round(duration_s * fps))
        if not duration_s and frame_count and fps:
            duration_s = frame_count / fps
        width, height = stream.codec_context.width, stream.codec_context.height
        if _quarter_turns(_first_frame_rotation(container, stream)) % 2:
            width, height = height, width
        return VideoInfo(fps, frame_count, (width, height), duration_s, bool(container.streams.audio))
    finally:
        container.close()


def read_video(path: str | os.PathLike) -> Iterator[np.ndarray]:
    """Iterate over the frames of `path` as RGB uint8 `[H, W, 3]`, upright, in display order.

    The file is opened and checked at once (an unreadable file or one without a video stream
    raises `InputError` here, not at the first frame); frames are decoded one at a time, so any
    length fits in memory. Colours follow the stream's tags (untagged = BT.601, as FFmpeg).
    """
    path = Path(path)
    container, stream = _open_video(path)
    return _frames(container, stream, path)


def _frames(container: av.container.InputContainer, stream: av.video.VideoStream, path: Path) -> Iterator[np.ndarray]:
    try:
        for frame in container.decode(stream):
            rgb = frame.to_ndarray(format="rgb24", src_color_range=int(frame.color_range))
            turns = _quarter_turns(frame.rotation)
            yield np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb
    except av.FFmpegError as exc:
        raise InputError(f"cannot read video {path}: damaged video data ({ffmpeg_reason(exc)})") from exc
    finally:
        container.close()


def _open_video(path: Path) -> tuple[av.container.InputContainer, av.video.VideoStream]:
    container = open_media(path, "read video")
    if not container.streams.video:
        kind = "audio only" if container.streams.audio else "no video or audio"
        container.close()
        raise InputError(f"cannot read video {path}: it has no video stream ({kind})")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return container, stream


def _first_frame_rotation(container: av.container.InputContainer, stream: av.video.VideoStream) -> float:
    """Display rotation (degrees counter-clockwise) carried by the first frame; 0 if none decodes."""
    try:
        frame = next(container.decode(stream), None)
    except av.FFmpegError:
        return 0.0
    return float(frame.rotation) if frame is not None else 0.0


def _quarter_turns(rotation_deg: float) -> int:
    """Counter-clockwise quarter turns (0-3) for `np.rot90` from a display rotation in degrees."""
    return round(rotation_deg / 90.0) % 4 if math.isfinite(rotation_deg) else 0


def encoded_size_wh(size_wh: tuple[int, int]) -> tuple[int, int]:
    """(width, height) px a `VideoWriter` stores for frames of size_wh: H.264 4:2:0 needs even
    sides, so an odd side gains one column/row (its last one repeated)."""
    width, height = size_wh
    return width + width % 2, height + height % 2


class VideoWriter:
    """Stream RGB frames into an H.264 (libx264, yuv420p) video with an optional AAC sound track.

        with VideoWriter("out.mp4", fps=25, size_wh=(512, 512), audio_source="speech.wav") as vw:
            for rgb in frames:          # each RGB uint8 [512, 512, 3]
                vw.write(rgb)

    path:          output .mp4 (also .mov, .mkv); written atomically, so an exception or Ctrl-C
                   inside the `with` leaves no file (and an existing `path` untouched).
    fps:           frames per second (> 0); e.g. 25, or 30000/1001 for NTSC.
    size_wh:       (width, height) px of the frames passed to `write`. H.264 4:2:0 needs even
                   sides: an odd width/height is padded by one column/row repeating the last
                   one (no resampling, so pixel coordinates stay valid); see `out_size_wh`.
    audio_source:  any audio or video file with sound (`load_audio`'s formats); its first audio
                   stream is transcoded to AAC at its own sample rate (48 kHz if AAC lacks it),
                   mono or stereo as the source (more channels are downmixed to stereo), and
                   muxed whole. Refused when it is `path` itself.
    crf:           x264 constant rate factor, 0 (lossless) - 51; 18 is visually lossless,
                   23 the default.
    preset:        x264 speed preset (`X264_PRESETS`); "veryfast" balances size and speed.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size_wh: tuple[int, int],
                 audio_source: str | os.PathLike | None = None, crf: int = 23, preset: str = "veryfast"):
        self.path = Path(path)
        if self.path.suffix.lower() not in VIDEO_FORMATS:
            known = ", ".join(VIDEO_FORMATS)
            raise InputError(f"cannot write {self.path}: unknown video extension "
                             f"'{self.path.suffix}' (use {known})")
        check_output_path(self.path, (audio_source,) if audio_source is not None else ())
        if not (isinstance(fps, (int, float, Fraction)) and math.isfinite(fps) and 0 < fps <= 240):
            raise ValueError(f"fps must be in (0, 240]; got {fps!r}")
        width, height = (int(v) for v in size_wh)
        if not (0 < width <= 8192 and 0 < height <= 8192):
            raise ValueError(f"size_wh must be 1-8192 px per side; got {size_wh!r}")
        if not 0 <= int(crf) <= 51:
            raise ValueError(f"crf must be 0-51; got {crf!r}")
        if preset not in X264_PRESETS:
            raise ValueError(f"unknown x264 preset {preset!r}; use one of {', '.join(X264_PRESETS)}")
        self.fps = Fraction(fps).limit_denominator(1001)
        self.size_wh = (width, height)
        self.out_size_wh = encoded_size_wh(self.size_wh)
        self.audio_source = Path(audio_source) if audio_source is not None else None
        self.crf, self.preset = int(crf), preset
        self.frames_written = 0
        self._atomic = None
        self._container: av.container.OutputContainer | None = None
        self._video: av.video.VideoStream | None = None
        self._audio: _AacTranscoder | None = None
        self._reformatter = VideoReformatter()  # keeps its swscale context between frames

    @property
    def duration_s(self) -> float:
        """Seconds of video written so far (frames_written / fps)."""
        return float(self.frames_written / self.fps)

    def __enter__(self) -> "VideoWriter":
        if self._atomic is not None:
            raise RuntimeError("VideoWriter is not reentrant")
        self._atomic = atomic_output(self.path)
        tmp = self._atomic.__enter__()
        try:
            self._open(tmp)
        except BaseException as exc:
            self._abort(exc)
            raise
        return self

    def write(self, rgb: np.ndarray) -> None:
        """Encode one frame, RGB uint8 `[H, W, 3]` with (W, H) == `size_wh`."""
        if self._container is None:
            raise RuntimeError("use VideoWriter in a `with` block before writing frames")
        width, height = self.size_wh
        if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.shape == (height, width, 3)):
            got = f"{getattr(rgb, 'dtype', type(rgb).__name__)} {getattr(rgb, 'shape', '')}"
            raise ValueError(f"VideoWriter.write expects RGB uint8 [{height}, {width}, 3]; got {got}")
        if self.out_size_wh != self.size_wh:
            rgb = np.pad(rgb, ((0, self.out_size_wh[1] - height), (0, self.out_size_wh[0] - width), (0, 0)),
                         mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        yuv = self._reformatter.reformat(frame, format="yuv420p", dst_colorspace="ITU709",
                                         dst_color_range="MPEG")
        yuv.pts = self.frames_written
        try:
            self._mux(self._video.encode(yuv))
            self.frames_written += 1
            if self._audio is not None:  # keep the sound about one frame ahead of the picture
                self._mux(self._audio.encode_until((self.frames_written + 1) / float(self.fps)))
        except (av.FFmpegError, OSError) as exc:
            raise InputError(f"cannot write {self.path}: {ffmpeg_reason(exc)}") from exc

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:
            self._abort(exc)
            return
        try:
            if self.frames_written == 0:
                raise ValueError(f"no frames were written to {self.path}; an empty video is not valid")
            try:
                self._mux(self._video.encode(None))
                if self._audio is not None:
                    self._mux(self._audio.encode_until(math.inf))
                    self._mux(self._audio.flush())
                self._close()
            except (av.FFmpegError, OSError) as exc2:
                raise InputError(f"cannot write {self.path}: {ffmpeg_reason(exc2)}") from exc2
        except BaseException as exc2:
            self._abort(exc2)
            raise
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(None, None, None)  # renames the finished file into place

    def _open(self, tmp: Path) -> None:
        fmt = VIDEO_FORMATS[self.path.suffix.lower()]
        options = {"movflags": "+faststart"} if fmt in ("mp4", "mov") else {}
        if self.audio_source is not None:  # check the sound before any encoding
            self._audio = _AacTranscoder(self.audio_source)
        try:
            self._container = av.open(str(tmp), mode="w", format=fmt, options=options)
            video = self._container.add_stream("libx264", rate=self.fps)
            video.width, video.height = self.out_size_wh
            video.pix_fmt = "yuv420p"
            video.options = {"crf": str(self.crf), "preset": self.preset}
            cc = video.codec_context
            cc.thread_count = X264_THREADS
            cc.color_primaries, cc.color_trc, cc.colorspace = _AVCOL_PRI_BT709, _AVCOL_TRC_BT709, _AVCOL_SPC_BT709
            cc.color_range = _AVCOL_RANGE_MPEG
            self._video = video
            if self._audio is not None:
                self._audio.add_output(self._container)
        except (av.FFmpegError, OSError) as exc:
            raise InputError(f"cannot write {self.path}: {ffmpeg_reason(exc)}") from exc

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self._container.mux(packet)

    def _close(self) -> None:
        container, self._container = self._container, None
        audio, self._audio = self._audio, None
        try:
            if container is not None:
                container.close()  # writes the trailer (and, for mp4, moves the index to the front)
        finally:
            if audio is not None:
                audio.close()

    def _abort(self, exc: BaseException) -> None:
        """Close everything without caring about errors, then let atomic_output delete the file."""
        try:
            self._close()
        except (av.FFmpegError, OSError):
            pass  # the half file is deleted just below; the original error is what matters
        atomic, self._atomic = self._atomic, None
        if atomic is not None:
            try:
                atomic.__exit__(type(exc), exc, exc.__traceback__)
            except BaseException as raised:  # atomic_output re-raises `exc`; anything else wins
                if raised is not exc:
                    raise


class _AacTranscoder:
    """Decode the first audio stream of a file and encode it to AAC on demand (bounded memory).

    Decoded frames -> resampler (fltp at `rate`, `layout`; rebuilt if the source changes rate or
    layout mid-stream, as concatenated mp3s do) -> FIFO -> 1024-sample frames -> AAC encoder.
    """

    def __init__(self, source: Path):
        self.source = source
        self._in = open_media(source, "read audio from")
        try:
            stream = first_audio_stream(self._in, source, "read audio from")
        except InputError:
            self._in.close()
            raise
        stream.thread_type = "AUTO"
        cc = stream.codec_context
        self.rate = cc.sample_rate if cc.sample_rate in AAC_RATES else AAC_FALLBACK_RATE
        self.layout = "mono" if cc.layout.nb_channels == 1 else "stereo"
        self._frames = decoded_frames(self._in, stream)
        exact_s = exact_duration_s(self._in, stream)  # drops an mp4 source's AAC end padding
        self._limit = math.inf if exact_s is None else round(exact_s * self.rate)
        self._resampler: av.AudioResampler | None = None
        self._setup: tuple | None = None
        self._fifo = av.AudioFifo()
        self._stream: av.audio.AudioStream | None = None
        self._samples = 0  # samples sent to the encoder
        self._exhausted = False

    def add_output(self, container: av.container.OutputContainer) -> None:
        """Add the AAC stream to `container` (before the first packet is muxed)."""
        self._stream = container.add_stream("aac", rate=self.rate, layout=self.layout)
        self._stream.bit_rate = AAC_BITRATE_PER_CHANNEL * (1 if self.layout == "mono" else 2)

    def encode_until(self, t_s: float) -> list[av.Packet]:
        """AAC packets for the source audio up to time `t_s` (s), or to its end."""
        packets: list[av.Packet] = []
        try:
            while not self._exhausted and self._samples < t_s * self.rate:
                frame = next(self._frames, None)
                self._queue(frame)
                self._exhausted = frame is None or self._samples + self._fifo.samples >= self._limit
                while self._fifo.samples >= AAC_FRAME or (self._exhausted and self._fifo.samples):
                    size = min(AAC_FRAME, self._fifo.samples, self._limit - self._samples)  # last: short
                    if size <= 0:
                        break
                    packets += self._encode([self._fifo.read(size)])
        except av.FFmpegError as exc:
            raise InputError(f"cannot read audio from {self.source}: damaged audio data "
                             f"({ffmpeg_reason(exc)})") from exc
        return packets

    def flush(self) -> list[av.Packet]:
        """The encoder's last packets (call after `encode_until(math.inf)`)."""
        return list(self._stream.encode(None))

    def _queue(self, frame: av.AudioFrame | None) -> None:
        """Resample `frame` (None: flush) into the FIFO."""
        if frame is not None:
            setup = (frame.format.name, frame.layout.nb_channels, frame.sample_rate)
            if setup != self._setup:
                self._queue(None)
                # rematrix_maxval=1: a 5.1 -> stereo downmix is scaled so that it cannot clip
                self._resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=self.rate,
                                                    options={"rematrix_maxval": "1.0"})
                self._setup = setup
            frame.pts = None  # we count samples ourselves
        if self._resampler is None:
            return
        for out in self._resampler.resample(frame):
            out.pts, out.time_base = None, Fraction(1, self.rate)  # one time base for the FIFO
            self._fifo.write(out)

    def _encode(self, frames: list[av.AudioFrame]) -> list[av.Packet]:
        packets: list[av.Packet] = []
        for frame in frames:
            frame.pts, frame.time_base = self._samples, Fraction(1, self.rate)
            self._samples += frame.samples
            packets += self._stream.encode(frame)
        return packets

    def close(self) -> None:
        self._in.close()


@contextlib.contextmanager
def encoding_thread(writer: VideoWriter, queue_frames: int = 8) -> Iterator:
    """Encode on a second thread while the caller renders: yields `put(rgb)`.

    Frames (RGB uint8 [H, W, 3], as `VideoWriter.write`) wait in a queue of `queue_frames`, so
    memory stays bounded; x264 and the renderers release the GIL, so the two overlap on two
    cores. `put` raises the encoder's error as soon as it has one (the caller stops rendering);
    leaving the block waits for the encoder and raises its error if it had one."""
    frames: queue.Queue = queue.Queue(maxsize=queue_frames)
    failure: list[BaseException] = []

    def encode() -> None:
        while (frame := frames.get()) is not None:
            if not failure:
                try:
                    writer.write(frame)
                except BaseException as exc:  # noqa: BLE001 - handed to the rendering thread
                    failure.append(exc)

    def put(frame: np.ndarray) -> None:
        if failure:
            raise failure[0]
        frames.put(frame)

    encoder = threading.Thread(target=encode, name="emoface-encode", daemon=True)
    encoder.start()
    try:
        yield put
    finally:
        frames.put(None)
        encoder.join()
    if failure:
        raise failure[0]
