"""Wires speech animation together (DESIGN.md data flow); no stage logic lives here.

    portrait --analyze--> Prepared
    audio ----drive-----> PhonemeTrack --coarticulation--> MouthTrack
    emotion --control---> target AUs  ┐
    motion (head, blinks, gaze) ──────┴─combine─> Performance --rig/render--> frames --encode--> mp4
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .control.auto import AUTO, auto_timeline
from .control.les import target_aus
from .control.timeline import DEFAULT_TRANSITION_S, timeline_aus
from .drive.coarticulation import mouth_track
from .drive.phonemes import SILENCE
from .drive.prosody import loudness_at
from .errors import InputError
from .motion.eyes import blink_track, gaze_track
from .motion.head import head_motion
from .motion.performance import K25, K26, Performance, combine
from .pipeline import Prepared, expression_params_check, prepare, warm_up
from .render.frames import render_frames
from .rig.sequence import deform_sequence
from .types import Audio, PhonemeTrack

log = logging.getLogger(__name__)

DEFAULT_FPS = 25.0
DEFAULT_SIZE = 512
ENCODE_QUEUE = 8  # frames rendered ahead of the encoder


@dataclass
class StageClock:
    """Wall time per pipeline stage, in seconds, in the order the stages ran."""

    seconds: dict = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


@dataclass(frozen=True)
class Animation:
    """What `animate`/`say` produced: the output file, the performance, and how it was made.

    method: how the phoneme timing was found ("tts", "forced-alignment", "phone-loop",
    "energy", "silence"); stage_seconds: wall time per stage; emotion_choices: what
    emotion="auto" chose per sentence and why."""

    output: Path
    performance: Performance
    phonemes: PhonemeTrack
    method: str
    stage_seconds: dict
    emotion_choices: tuple = ()  # with emotion="auto": control.auto.SentenceChoice per sentence


def frame_count(duration_s: float, fps: float) -> int:
    """Frames covering the audio: round(duration * fps), at least 1 (within one frame)."""
    return max(1, int(round(duration_s * fps)))


def silent_track(duration_s: float) -> PhonemeTrack:
    return PhonemeTrack((SILENCE,), np.zeros(1), np.array([duration_s]), np.array([-1], np.int8), "silence")


def talking_target_aus(source_aus: np.ndarray, emotion: str | None, level: float, aus,
                       refine: bool = False) -> np.ndarray:
    """[17, 2] the expression to talk with. The portrait's own mouth opening (AU25, AU26) is
    speech frozen mid-word, not expression, so it is always closed first and the speech opens
    it again; with an emotion, LES relaxes and re-injects the rest as usual."""
    closed = source_aus.copy()
    closed[[K25, K26]] = 0.0
    return target_aus(closed, emotion, level, aus, refine=refine)


def plan_performance(prepared: Prepared, phonemes: PhonemeTrack, speech: Audio, fps: float,
                     emotion: str | None, level: float, aus, seed: int, pose_scale: float,
                     still: bool, timeline=None, transition_s: float = DEFAULT_TRANSITION_S,
                     refine: bool = False) -> Performance:
    """Everything that moves, per frame, for this portrait and speech.

    timeline: optional sequence of `control.timeline.EmotionKey`; it replaces emotion/level."""
    n = frame_count(speech.duration_s, fps)
    level_at = loudness_at(speech)
    mouth = mouth_track(phonemes, n, fps, level_at)
    if timeline:
        emotion_aus = timeline_aus(list(timeline), n, fps,
                                   lambda e, lv: talking_target_aus(prepared.source_aus, e, lv, aus, refine),
                                   transition_s)
    else:
        emotion_aus = talking_target_aus(prepared.source_aus, emotion, level, aus, refine)
    head = (np.zeros((n, 3), np.float32) if still
            else head_motion(phonemes, n, fps, seed, pose_scale, level_at))
    pauses = np.array([s for p, s, e in zip(phonemes.phones, phonemes.start_s, phonemes.end_s)
                       if p == SILENCE and e - s > 0.25])
    blink = blink_track(n, fps, seed, pauses)
    gaze = np.zeros((n, 2), np.float32) if still else gaze_track(n, fps, seed)
    return combine(emotion_aus, mouth, head, blink, gaze)


def write_video(prepared: Prepared, performance: Performance, output: Path, audio_source: str,
                progress: bool = False) -> None:
    """Render every frame of the performance and stream it into an mp4 with the sound.

    Frames render on one thread per core (`render.frames`) and the encoder runs on another, fed
    through a short queue (x264 and the warp release the GIL), so rendering and encoding overlap
    and memory stays bounded."""
    from tqdm import tqdm

    from .io.video import VideoWriter, encoding_thread

    h, w = prepared.image.shape[:2]
    with VideoWriter(output, performance.fps, (w, h), audio_source=audio_source) as writer, \
            encoding_thread(writer, ENCODE_QUEUE) as put:
        params = performance.rig_params(prepared.source_aus)
        landmarks = deform_sequence(prepared.analysis, params, prepared.fit, performance.fps)
        for frame in tqdm(render_frames(prepared.render_source, landmarks), total=len(performance),
                          desc="emoface render", unit="frame", disable=not progress, leave=False):
            put(frame)


def _finish(prepared, phonemes, speech, output, audio_source, clock, options, progress, export_curves,
            export_les=None, choices=()):
    with clock.stage("motion"):
        performance = plan_performance(prepared, phonemes, speech, **options)
    with clock.stage("render+encode"):
        write_video(prepared, performance, output, audio_source, progress)
    if export_curves is not None or export_les is not None:
        from .export.files import save_exports
        from .export.les import performance_keys

        with clock.stage("export"):
            save_exports(performance, export_curves, export_les,
                         performance_keys(options["emotion"], options["level"], options.get("timeline")),
                         options["transition_s"], Path(output).stem,
                         {"emotion_auto": [c.as_dict() for c in choices]} if choices else None)
    log.info("wrote %s: %d frames at %g fps (%s); stages %s", output, len(performance),
             performance.fps, phonemes.method,
             ", ".join(f"{k} {v:.2f}s" for k, v in clock.seconds.items()))
    return Animation(Path(output), performance, phonemes, phonemes.method, dict(clock.seconds), tuple(choices))


def check_fps(fps: float) -> None:
    """Raise InputError unless the frame rate is 1-120 frames/s."""
    if not (np.isfinite(fps) and 1.0 <= fps <= 120.0):
        raise InputError(f"fps must be between 1 and 120, got {fps!r}")


def check_video_options(emotion, level, aus, fps, pose_scale) -> None:
    """Validate an emotion spec, frame rate and head-motion scale before any expensive work
    (raises InputError); shared by `animate`, `say` and `reenact`."""
    expression_params_check(emotion, level, aus)
    check_fps(fps)
    if not (np.isfinite(pose_scale) and 0.0 <= pose_scale <= 5.0):
        raise InputError(f"pose scale must be between 0 and 5, got {pose_scale!r}")


def _check_options(emotion, level, aus, fps, seed, pose_scale, refine=False):
    check_video_options(emotion, level, aus, fps, pose_scale)
    return dict(fps=float(fps), emotion=emotion, level=float(level), aus=aus, seed=int(seed),
                pose_scale=float(pose_scale), refine=bool(refine))


def animate(portrait, audio, output, *, emotion: str | None = None, level: float = 0.0, aus=None,
            transcript: str | None = None, language: str = "en", fps: float = DEFAULT_FPS,
            size: int | None = DEFAULT_SIZE, seed: int = 0, pose_scale: float = 1.0,
            still: bool = False, export_curves=None, progress: bool = False, timeline=None,
            transition_s: float = DEFAULT_TRANSITION_S, export_les=None, refine: bool = False,
            lines: bool = True) -> Animation:
    """Portrait + speech -> talking-head mp4 at `output`; returns the `Animation`.

    portrait: image path or RGB uint8 [H, W, 3]; audio: path to speech (any format `load_audio`
    reads, or a video's sound). emotion/level/aus as for `emoface.express` (emotion may be a
    mixture, or "auto": chosen per sentence from the words and voice, `control.auto`); timeline:
    optional [EmotionKey] (emotion changing over time; replaces emotion/level), transition_s: how
    long each change takes. transcript: what is said (else Whisper tiny.en); language: "en", or
    any other code for the phone loop. fps; size: long side px; seed: head motion, blinks and
    gaze; pose_scale: head motion amplitude; still: no head motion or gaze; export_curves:
    optional JSON path for per-frame curves; export_les: optional CSV path for per-frame LES
    vectors (`export.les`); refine: EmoHead hyperplane refinement of the emotion
    (`control.hyperplanes`; off by default, bench/refine_ab.py measured no gain); lines: shade
    expression lines (`render.creases`); progress: tqdm bar."""
    from .io.audio import is_silent, load_audio
    from .io.images import check_output_path

    auto = emotion == AUTO
    options = _check_options(None if auto else emotion, level, aus, fps, seed, pose_scale, refine)
    options.update(still=bool(still), timeline=timeline, transition_s=float(transition_s))
    output = check_output_path(output, (audio,) + ((portrait,) if isinstance(portrait, (str, Path)) else ()))
    clock = StageClock()
    with clock.stage("load audio"):
        speech = load_audio(audio)
    if is_silent(speech):
        log.warning("the audio is silent (its level is below -50 dBFS): the face stays idle with "
                    "its mouth closed; check that the file holds speech")
        with clock.stage("analyze portrait"):
            prepared = prepare(portrait, size, lines)
        phonemes = silent_track(speech.duration_s)
    else:
        # speech analysis runs beside the portrait analysis (both release the GIL)
        with clock.stage("transcribe+align (beside analysis)"):
            job = SpeechJob(speech, transcript, language)
            try:
                with clock.stage("analyze portrait"):
                    prepared = prepare(portrait, size, lines)
                with clock.stage("renderer warm-up"):
                    warm_up(prepared)
                phonemes = job.result()
            except BaseException:
                job.stop()
                raise
    log.info("phoneme timing: %s, %d phones", phonemes.method, len(phonemes))
    choices = ()
    if auto:
        with clock.stage("emotion auto"):
            choices, options["timeline"] = auto_timeline(phonemes, speech, transcript)
    return _finish(prepared, phonemes, speech, output, str(audio), clock, options, progress, export_curves,
                   export_les, choices)


class SpeechJob:
    """`phoneme_track` on its own thread, beside the portrait analysis (both release the GIL).

    If the caller fails or is interrupted before it needs the result (a portrait with no face,
    Ctrl-C), `stop()` tells the job to give up at its next window or chunk and waits for that (a
    few seconds), instead of the minutes a long clip's transcription takes; a native library
    left running on a daemon thread would abort the interpreter at exit. (Waiting is on the
    Future, not Thread.join: a join interrupted by Ctrl-C can return at once on the next call.)"""

    def __init__(self, speech: Audio, transcript: str | None, language: str):
        self._stop = threading.Event()
        self._future: concurrent.futures.Future = concurrent.futures.Future()
        threading.Thread(target=self._run, args=(speech, transcript, language),
                         name="emoface-speech", daemon=True).start()

    def _run(self, speech, transcript, language) -> None:
        from .drive.speech import phoneme_track

        try:
            self._future.set_result(phoneme_track(speech, transcript, language, stop=self._stop))
        except BaseException as exc:   # raised to the caller by result()
            self._future.set_exception(exc)

    def result(self) -> PhonemeTrack:
        return self._future.result()

    def stop(self) -> None:
        self._stop.set()
        self._future.exception()       # waits for the job to end, without raising its error


def say(portrait, text: str, output, *, voice: str = "en-us", rate_wpm: int = 160,
        emotion: str | None = None, level: float = 0.0, aus=None, fps: float = DEFAULT_FPS,
        size: int | None = DEFAULT_SIZE, seed: int = 0, pose_scale: float = 1.0, still: bool = False,
        export_curves=None, progress: bool = False, timeline=None,
        transition_s: float = DEFAULT_TRANSITION_S, export_les=None, refine: bool = False,
        lines: bool = True) -> Animation:
    """Portrait + text -> talking-head mp4 spoken by espeak-ng (`voice`, `rate_wpm`), lips on
    espeak's exact phoneme times; returns the `Animation`. Other arguments as for `animate`,
    except that `timeline` may also be a callable PhonemeTrack -> [EmotionKey], to key emotions
    to the synthesised words (the demo does)."""
    from .drive.tts import synthesize
    from .io.audio import save_wav
    from .io.images import check_output_path

    auto = emotion == AUTO
    options = _check_options(None if auto else emotion, level, aus, fps, seed, pose_scale, refine)
    options["still"] = bool(still)
    output = check_output_path(output, (portrait,) if isinstance(portrait, (str, Path)) else ())
    clock = StageClock()
    with clock.stage("speech synthesis"):
        speech, phonemes = synthesize(text, voice=voice, rate_wpm=rate_wpm)
    options["transition_s"] = float(transition_s)
    if timeline is not None:
        options["timeline"] = timeline(phonemes) if callable(timeline) else list(timeline)
    choices = ()
    if auto:
        with clock.stage("emotion auto"):
            choices, options["timeline"] = auto_timeline(phonemes, speech, text)
    with clock.stage("analyze portrait"):
        prepared = prepare(portrait, size, lines)
    with tempfile.TemporaryDirectory(prefix="emoface-say-") as tmp:
        wav = Path(tmp) / "speech.wav"
        save_wav(wav, speech)
        return _finish(prepared, phonemes, speech, output, str(wav), clock, options, progress, export_curves,
                       export_les, choices)
