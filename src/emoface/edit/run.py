"""`edit_video`: change the emotion of a talking video, keeping its speech (DESIGN.md data flow).

    video --decode--> frames --track (VIDEO mode, smoothed)--> FaceTrack --AUs (5-frame window)-->
    own expression --plan (LES residual, mouth kept, eased at lost faces)--> AU change per frame
    video --decode--> frames --edit_frame (face region)--> frames --encode (+ the input's sound)--> mp4

Two passes over the file: the first tracks the face (and so knows, before anything is written,
whether there is a face at all, and each frame's neighbours on both sides for smoothing); the
second decodes again, renders and encodes, with decoding, rendering and encoding in three
threads (PyAV, OpenCV, numba and x264 release the GIL), so memory stays bounded for any length.
"""
from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..control.auto import AUTO, auto_timeline
from ..control.timeline import DEFAULT_TRANSITION_S, EmotionKey
from ..errors import InputError
from ..vocab import AU_INDEX
from .plan import EditSpec, residual_aus, smooth_aus

log = logging.getLogger(__name__)

QUEUE_FRAMES = 8          # frames decoded / rendered ahead of the next stage
STILL_AU = 1e-4           # a residual this small leaves the frame as it is


@dataclass(frozen=True)
class EditResult:
    """What `edit_video` wrote.

    output: the mp4; frames: frames written; fps: their rate; size_wh: (width, height) px;
    found: [T] bool, the face found per output frame; residual: [T, 17, 2] the AU change applied
    per frame (0-5 scale); variable_rate: the input had a variable frame rate (resampled);
    has_audio: the input's sound was copied; stage_seconds: wall time per stage;
    emotion_choices: with emotion="auto", `control.auto.SentenceChoice` per sentence."""

    output: Path
    frames: int
    fps: float
    size_wh: tuple[int, int]
    found: np.ndarray
    residual: np.ndarray
    variable_rate: bool
    has_audio: bool
    stage_seconds: dict
    emotion_choices: tuple = ()


def _prefetched(items: Iterable, depth: int = QUEUE_FRAMES) -> Iterator:
    """Iterate `items` in a background thread, up to `depth` ahead (decoding beside the caller's
    work). Exceptions are re-raised in the caller; stopping early ends the thread."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put((done, exc))

    thread = threading.Thread(target=produce, name="emoface-decode", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = q.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


def _frames(video: Path, size_wh: tuple[int, int] | None) -> Iterator[np.ndarray]:
    """The video's frames, RGB uint8, resized to size_wh (width, height) when given."""
    from ..io.video import read_video

    for rgb in read_video(video):
        if size_wh is not None and (rgb.shape[1], rgb.shape[0]) != size_wh:
            rgb = cv2.resize(rgb, size_wh, interpolation=cv2.INTER_AREA)
        yield rgb


def _output_size(size_wh: tuple[int, int], size: int | None) -> tuple[int, int] | None:
    """(width, height) after shrinking the long side to `size` px (never enlarged); None = as is."""
    from ..pipeline import check_size

    if size is None:
        return None
    check_size(size)
    w, h = size_wh
    if max(w, h) <= size:
        return None
    scale = size / max(w, h)
    return max(2, round(w * scale)), max(2, round(h * scale))


def _own_expression(track) -> tuple[np.ndarray, list]:
    """-> ([T, 17, 2] AU readings (NaN where lost), [T] FaceFit or None) from a FaceTrack."""
    from ..pipeline import read_source_aus
    from ..rig.deform import fit_face

    aus = np.full((len(track), 17, 2), np.nan, np.float32)
    fits: list = [None] * len(track)
    for i in np.flatnonzero(track.found):
        analysis = track.analysis(int(i))
        fits[i] = fit_face(analysis)
        aus[i] = read_source_aus(analysis, fits[i])
    return aus, fits


def edit_video(video, output, *, emotion: str | None = None, level: float = 0.0, aus=None,
               timeline=None, transition_s: float = DEFAULT_TRANSITION_S, face_index: int | None = None,
               size: int | None = None, progress: bool = False, transcript: str | None = None,
               lines: bool = True) -> EditResult:
    """Change the emotion of the talking video `video`, keeping its lip motion -> `output` mp4.

    emotion/level/aus as for `emoface.express` (emotion may be a mixture "happy@2+surprised@1";
    without an emotion only the AU edits apply to the frames' own expression; "auto" chooses one
    per sentence from the video's words and voice, `control.auto`, the words transcribed unless
    `transcript` gives them); timeline:
    optional [EmotionKey] (emotion changing over time, replaces emotion/level), transition_s:
    how long each change takes; face_index: None = the largest face, k = the k-th from the left;
    size: shrink the long side to at most this many px; progress: tqdm bars (frames/s);
    lines: shade the expression lines the edit folds (frown and forehead lines...), as the
    other commands do; False warps the frames only.

    Every frame is re-rendered from itself: the face region is warped by the emotion's AU change
    measured against the frame's own (5-frame smoothed) expression, with the lips' opening and
    closing kept exactly; frames without the face pass through unchanged, the edit easing out
    and back in around them. The output has the input's frame rate (a variable-rate input is
    resampled to its average rate, in step with the sound), size (or `size`) and sound.
    Raises InputError for an unreadable video, a bad emotion/AU/level, output == input, "auto"
    on a video without sound;
    NoFaceError when no frame shows a face.
    """
    from ..analyze.track import track_frames
    from ..animate import StageClock
    from ..io.images import check_output_path
    from ..io.video import VIDEO_FORMATS, encoded_size_wh, video_info
    from .timing import constant_rate_schedule, frame_times, is_variable_rate

    video, output = Path(video), Path(output)
    auto = emotion == AUTO
    if auto:
        emotion = None
    spec = EditSpec(emotion, float(level), aus, tuple(timeline) if timeline else None, float(transition_s))
    spec.check()
    if emotion is None and not timeline and not aus and not auto:
        raise InputError("nothing to edit: give an emotion (e.g. --emotion happy), a timeline or --au edits")
    if output.suffix.lower() not in VIDEO_FORMATS:
        raise InputError(f"cannot write {output}: a video needs one of {', '.join(VIDEO_FORMATS)}")
    check_output_path(output, (video,))
    info = video_info(video)
    if not info.fps > 0:
        raise InputError(f"cannot read video {video}: its frame rate is unknown")
    if info.is_still:
        raise InputError(f"{video} holds a single picture, not a video: edit re-acts a talking video "
                         f"(for a photo use `emoface express`)")
    size_wh = _output_size(info.size_wh, size)
    out_wh = size_wh or info.size_wh
    clock = StageClock()
    choices = ()
    if auto:
        with clock.stage("emotion auto"):
            choices, keys = _auto_keys(video, info, transcript)
            spec = dataclasses.replace(spec, timeline=tuple(keys))

    with clock.stage("decode+track"):
        times = frame_times(video)
        variable = is_variable_rate(times)
        track = track_frames(_prefetched(_frames(video, size_wh)), info.fps, face_index, smooth=True,
                             progress=progress, total=info.frame_count or None)
    if track.image_size != (out_wh[1], out_wh[0]):
        out_wh = (track.image_size[1], track.image_size[0])

    with clock.stage("plan"):
        raw, fits = _own_expression(track)
        own = smooth_aus(raw, track.found)
        schedule = np.arange(len(track))
        if variable and times is not None and len(times) == len(track):
            schedule = constant_rate_schedule(times, info.fps)
            log.info("variable frame rate: %d frames resampled to %d at a constant %g fps", len(track),
                     len(schedule), info.fps)
        elif variable:
            log.warning("variable frame rate, but the timestamps do not match the frames: frames kept as they are")
            variable = False
        found = track.found[schedule]
        residual = residual_aus(own[schedule], found, info.fps, spec, blink=raw[schedule, AU_INDEX[45]])
    lost = int((~track.found).sum())
    log.info("face found in %d of %d frames%s; %s", len(track) - lost, len(track),
             f" ({lost} passed through unchanged)" if lost else "",
             "sound copied" if info.has_audio else "the video has no sound: the output is silent")

    with clock.stage("decode+render+encode"):
        _render(video, size_wh, output, info, out_wh, track, fits, schedule, residual, progress, lines)
    seconds = dict(clock.seconds)
    total = sum(seconds.values())
    even = encoded_size_wh(tuple(out_wh))
    log.info("wrote %s: %d frames at %g fps, %dx%d%s, %.1f frames/s; stages %s", output, len(schedule),
             info.fps, out_wh[0], out_wh[1],
             f" (stored as {even[0]}x{even[1]}: H.264 needs even sides, the edge repeated)"
             if even != tuple(out_wh) else "", len(schedule) / max(total, 1e-9),
             ", ".join(f"{k} {v:.2f}s" for k, v in seconds.items()))
    return EditResult(output, len(schedule), float(info.fps), tuple(out_wh), found, residual, variable,
                      bool(info.has_audio), seconds, choices)


def _auto_keys(video: Path, info, transcript: str | None) -> tuple[tuple, list[EmotionKey]]:
    """--emotion auto on a video: its sound -> timed phonemes -> an emotion key per sentence
    (`control.auto.auto_timeline`, which logs each choice and why)."""
    from ..drive.speech import phoneme_track
    from ..io.audio import is_silent, load_audio

    if not info.has_audio:
        raise InputError(f"--emotion auto reads the words and the voice, but {video} has no sound: "
                         "give an emotion or a timeline instead")
    speech = load_audio(video)
    if is_silent(speech):
        raise InputError(f"--emotion auto reads the words and the voice, but the sound of {video} is silent: "
                         "give an emotion or a timeline instead")
    return auto_timeline(phoneme_track(speech, transcript), speech, transcript)


def _render(video: Path, size_wh, output: Path, info, out_wh, track, fits, schedule: np.ndarray,
            residual: np.ndarray, progress: bool, lines: bool) -> None:
    """Second pass: decode (thread) -> edit each output frame (this thread) -> encode (thread)."""
    from tqdm import tqdm

    from ..io.video import VideoWriter, encoding_thread
    from .frame import edit_frame

    audio = video if info.has_audio else None
    with VideoWriter(output, info.fps, out_wh, audio_source=audio) as writer, \
            encoding_thread(writer, QUEUE_FRAMES) as put:
        frames = _prefetched(_frames(video, size_wh))
        try:
            current, index = None, -1
            for j in tqdm(range(len(schedule)), desc="emoface edit", unit="frame", disable=not progress,
                          leave=False):
                while index < schedule[j]:
                    current = next(frames, None)
                    if current is None:
                        raise InputError(f"cannot read video {video}: it ended after {index + 1} frames, "
                                         f"{len(track)} were read the first time")
                    index += 1
                i = int(schedule[j])
                if track.found[i] and np.abs(residual[j]).max() > STILL_AU:
                    put(edit_frame(current, track.analysis(i), fits[i], residual[j], lines))
                else:
                    put(current)
        finally:
            frames.close()
