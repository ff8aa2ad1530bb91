"""`reenact`: a portrait driven by other videos (expression, head pose, mouth) or by speech.

    expression video ─track─► readings ─► AU changes (vs its own neutral) ┐
    pose video ───────track─► readings ─► head rotation (vs its mean)     ├─combine─► Performance
    mouth video ──────track─► readings ─► jaw + lip shapes                │  -rig/render-> mp4
      or audio ───────drive─► phonemes ─► mouth controls (as `animate`)   ┘
    emotion / AU edits (LES) on top of the portrait's relaxed neutral

Sources shorter than the output are played forwards and backwards (a ping-pong loop, no jump);
the output lasts as long as the expression video, or the audio when one is given.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..animate import (DEFAULT_FPS, DEFAULT_SIZE, StageClock, check_video_options, frame_count, silent_track,
                       talking_target_aus, write_video)
from ..control.les import AU_LIMIT
from ..errors import InputError
from ..motion.performance import Performance, combine
from ..pipeline import prepare
from ..vocab import AU_IDS, AU_INDEX
from .readings import DrivingReadings, read_track
from .retarget import (ExpressionTransfer, transfer_blinks, transfer_expression, transfer_gaze, transfer_mouth,
                       transfer_pose)

log = logging.getLogger(__name__)

K25, K26 = AU_INDEX[25], AU_INDEX[26]


@dataclass(frozen=True)
class Reenactment:
    """What `reenact` produced.

    output: the video file; performance: what was animated per frame; expression: the transfer
    (AU changes, the reference's neutral and calm frames); sources: {"expression", "pose",
    "mouth", "sound"} -> the file each came from (None: none); looped: the sources that were
    shorter than the output and looped; stage_seconds: wall time per stage."""

    output: Path
    performance: Performance
    expression: ExpressionTransfer
    sources: dict
    looped: tuple[str, ...]
    stage_seconds: dict


def ping_pong_index(n_out: int, fps_out: float, n_src: int, fps_src: float) -> np.ndarray:
    """[n_out] float source frame positions for output frames k / fps_out: the source's own
    time, played forwards then backwards when it is shorter (no jump at the turn)."""
    pos = np.arange(n_out) * (fps_src / fps_out)
    if n_src <= 1:
        return np.zeros(n_out)
    period = 2.0 * (n_src - 1)
    pos = np.mod(pos, period)
    return np.where(pos > n_src - 1, period - pos, pos)


def resample(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """[N, ...] per-frame values at fractional frame positions [M] (linear) -> [M, ...]."""
    lo = np.clip(np.floor(positions).astype(int), 0, len(values) - 1)
    hi = np.minimum(lo + 1, len(values) - 1)
    w = (positions - lo).reshape((-1,) + (1,) * (values.ndim - 1))
    return ((1.0 - w) * values[lo] + w * values[hi]).astype(np.float32)


def _track(path: Path, cache: dict, progress: bool) -> DrivingReadings:
    from ..analyze.track import track_video

    key = path.resolve()
    if key not in cache:
        track = track_video(path, progress=progress)
        found = int(np.sum(track.found))
        log.info("tracked %s: face in %d of %d frames at %g fps", path, found, len(track), track.fps)
        cache[key] = read_track(track)
    return cache[key]


def _check_video(path, what: str) -> Path:
    from ..io.video import video_info

    path = Path(path)
    if not path.is_file():
        raise InputError(f"cannot read {what} {path}: no such file")
    video_info(path)  # InputError for unreadable files and files without a video stream
    return path


def _sound_for(mouth_video: Path, duration_s: float, tmp: Path) -> str | None:
    """The mouth video's sound, cut or padded to the output's duration (None if it has none)."""
    from ..io.audio import load_audio, save_wav
    from ..io.video import video_info
    from ..types import Audio

    if not video_info(mouth_video).has_audio:
        return None
    sound = load_audio(mouth_video, sample_rate=48000)
    n = int(round(duration_s * sound.sample_rate))
    if abs(len(sound.samples) - n) <= sound.sample_rate // 50:
        return str(mouth_video)
    samples = np.resize(sound.samples, n) if len(sound.samples) < n else sound.samples[:n]
    wav = tmp / "mouth_sound.wav"
    save_wav(wav, Audio(samples.astype(np.float32), sound.sample_rate, None))
    return str(wav)


def _duration_s(speech, expression: DrivingReadings, pose: DrivingReadings, mouth) -> float:
    """The output's length: the audio's; else the expression video's; an expression taken from
    a still image (one frame) lasts as long as the longest driving video."""
    if speech is not None:
        return speech.duration_s
    moving = [r for r in (expression, pose, mouth) if r is not None and len(r) > 1]
    if len(expression) > 1 or not moving:
        if not moving:
            raise InputError("every driving source is a single image: give --audio (or a video) to set the length")
        return len(expression) / expression.fps
    return max(len(r) / r.fps for r in moving)


def _describe(transfer: ExpressionTransfer, fps: float) -> str:
    mean = transfer.deltas.mean(axis=(0, 2))
    moved = ", ".join(f"AU{au} {mean[AU_INDEX[au]]:+.1f}" for au in AU_IDS if abs(mean[AU_INDEX[au]]) >= 0.2)
    held = ", ".join(f"AU{au}" for au in AU_IDS if transfer.held[AU_INDEX[au]])
    calm = transfer.calm_frames / fps
    return (f"neutral from {len(calm)} calm frames ({calm.min():.2f}-{calm.max():.2f} s)"
            + (f"; held beyond a resting face: {held}" if held else "")
            + "; its mean change from that neutral (the reference's, before the portrait's AU "
            + f"limits): {moved or 'none above 0.2'}")


def reenact(portrait, expression_from, output, *, pose_from=None, mouth_from=None, audio=None,
            transcript: str | None = None, language: str = "en", emotion: str | None = None,
            level: float = 0.0, aus=None, fps: float = DEFAULT_FPS, size: int | None = DEFAULT_SIZE,
            seed: int = 0, pose_scale: float = 1.0, still: bool = False, export_curves=None,
            export_les=None, progress: bool = False, lines: bool = True) -> Reenactment:
    """Drive a portrait's expression, head pose and mouth from other videos -> mp4 at `output`.

    portrait: image path or RGB uint8 [H, W, 3]. expression_from: video whose expression
    (AU changes from its own calmest frames) the portrait takes. pose_from: video for the head
    pose (default: expression_from). mouth_from: video for the mouth (default: expression_from,
    unless `audio` is given); audio: speech that moves the lips as in `animate` (with
    `transcript`, `language`), and the output's sound and length. Not both mouth_from and audio.
    emotion/level/aus: an emotion (or mixture) and AU edits (LES) added on top of the
    transferred expression. fps, size (long side px), pose_scale (head motion amplitude), still
    (no head motion or gaze), export_curves (JSON path), export_les (CSV path), lines (expression
    lines), progress (tqdm bars) as for `animate`; seed is accepted for the same options and
    unused (all motion comes from the sources).

    The output lasts as long as the expression video (or the audio); shorter sources loop
    forwards and backwards. A still image works as a source too (an expression or pose held
    throughout; an expression image takes the length of the other sources). Sound: the audio,
    else the mouth video's sound, else none. Returns the `Reenactment`.
    """
    from ..io.images import check_output_path

    if audio is not None and mouth_from is not None:
        raise InputError("give the mouth either from a video (mouth_from) or from speech (audio), not both")
    check_video_options(emotion, level, aus, fps, pose_scale)
    expression_path = _check_video(expression_from, "the expression video")
    pose_path = _check_video(pose_from, "the pose video") if pose_from is not None else expression_path
    mouth_path = (None if audio is not None else
                  _check_video(mouth_from, "the mouth video") if mouth_from is not None else expression_path)
    inputs = tuple(p for p in (expression_path, pose_path, mouth_path, audio) if p is not None)
    inputs += (portrait,) if isinstance(portrait, (str, Path)) else ()
    output = check_output_path(output, inputs)
    clock = StageClock()
    fps = float(fps)

    speech = phonemes = None
    if audio is not None:
        from ..io.audio import load_audio

        with clock.stage("load audio"):
            speech = load_audio(audio)
    with clock.stage("analyze portrait"):
        prepared = prepare(portrait, size, lines)
    cache: dict = {}
    with clock.stage("track videos"):
        expression_readings = _track(expression_path, cache, progress)
        pose_readings = _track(pose_path, cache, progress)
        mouth_readings = _track(mouth_path, cache, progress) if mouth_path is not None else None
    n = frame_count(_duration_s(speech, expression_readings, pose_readings, mouth_readings), fps)

    looped = []

    def at_output_rate(readings: DrivingReadings, name: str, values: np.ndarray) -> np.ndarray:
        if len(readings) / readings.fps < n / fps - 1.0 / fps and name not in looped:
            looped.append(name)
        return resample(values, ping_pong_index(n, fps, len(readings), readings.fps))

    with clock.stage("retarget"):
        transfer = transfer_expression(expression_readings)
        log.info("expression from %s: %s", expression_path, _describe(transfer, expression_readings.fps))
        deltas = at_output_rate(expression_readings, "expression", transfer.deltas)
        blink = at_output_rate(expression_readings, "expression", transfer_blinks(expression_readings))
        gaze = (np.zeros((n, 2), np.float32) if still else
                at_output_rate(expression_readings, "expression", transfer_gaze(expression_readings)))
        head = (np.zeros((n, 3), np.float32) if still else
                at_output_rate(pose_readings, "pose", transfer_pose(pose_readings)) * np.float32(pose_scale))
        jaw_au26 = lips_au25 = np.zeros(n, np.float32)
        if mouth_readings is not None:
            video_mouth = transfer_mouth(mouth_readings)
            from ..drive.coarticulation import MouthTrack

            mouth = MouthTrack(at_output_rate(mouth_readings, "mouth", video_mouth.track.mouth),
                               at_output_rate(mouth_readings, "mouth", video_mouth.track.closure), fps)
            jaw_au26 = at_output_rate(mouth_readings, "mouth", video_mouth.jaw_au26)
            lips_au25 = at_output_rate(mouth_readings, "mouth", video_mouth.lips_part_au25)
        else:
            mouth, phonemes = _speech_mouth(speech, transcript, language, n, fps, clock)
    if looped:
        log.info("looped (forwards and backwards) to fill %.2f s: %s", n / fps, ", ".join(looped))

    base = talking_target_aus(prepared.source_aus, emotion or "neutral", level if emotion else 0.0, aus)
    emotion_aus = np.clip(base[None] + deltas, -AU_LIMIT, AU_LIMIT)
    emotion_aus[:, K25] = np.maximum(emotion_aus[:, K25], lips_au25[:, None])
    emotion_aus[:, K26] = np.maximum(emotion_aus[:, K26], jaw_au26[:, None])
    performance = combine(emotion_aus, mouth, head, blink, gaze)

    with tempfile.TemporaryDirectory(prefix="emoface-reenact-") as tmp:
        sound = (str(audio) if audio is not None else
                 _sound_for(mouth_path, n / fps, Path(tmp)) if mouth_path is not None else None)
        with clock.stage("render+encode"):
            write_video(prepared, performance, output, sound, progress)
    if export_curves is not None or export_les is not None:
        from ..control.timeline import DEFAULT_TRANSITION_S
        from ..export.files import save_exports
        from ..export.les import performance_keys

        with clock.stage("export"):
            save_exports(performance, export_curves, export_les, performance_keys(emotion, level, None),
                         DEFAULT_TRANSITION_S, Path(output).stem)
    sources = {"expression": str(expression_path), "pose": None if still else str(pose_path),
               "mouth": str(mouth_path) if mouth_path is not None else (f"speech {audio} ({phonemes.method})"),
               "sound": str(audio) if audio is not None else (str(mouth_path) if sound else None)}
    log.info("wrote %s: %d frames at %g fps; stages %s", output, n, fps,
             ", ".join(f"{k} {v:.2f}s" for k, v in clock.seconds.items()))
    return Reenactment(Path(output), performance, transfer, sources, tuple(looped), dict(clock.seconds))


def _speech_mouth(speech, transcript, language, n: int, fps: float, clock: StageClock):
    """Speech -> (MouthTrack of n frames, PhonemeTrack), as `animate` times the lips."""
    from ..drive.coarticulation import mouth_track
    from ..drive.prosody import loudness_at
    from ..drive.speech import phoneme_track
    from ..io.audio import is_silent

    with clock.stage("transcribe+align"):
        phonemes = silent_track(speech.duration_s) if is_silent(speech) else phoneme_track(speech, transcript, language)
    log.info("phoneme timing: %s, %d phones", phonemes.method, len(phonemes))
    level_at = loudness_at(speech)
    return mouth_track(phonemes, n, fps, level_at), phonemes
