"""A silent video of a portrait changing emotion along a timeline (`emoface express` with a
timeline and a video output). It goes through the talking pipeline's own stages (timeline ->
`motion.combine` -> `animate.write_video`), with a closed, still mouth, a still head and natural
blinks, so a frame of it is rendered exactly like a frame of `animate`.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .animate import check_fps, frame_count, write_video
from .control.les import target_aus
from .control.timeline import DEFAULT_TRANSITION_S, timeline_aus
from .drive.coarticulation import MouthTrack
from .errors import InputError
from .motion.eyes import blink_track
from .motion.performance import Performance, combine
from .pipeline import expression_params_check, prepare
from .vocab import MOUTH_CONTROLS

log = logging.getLogger(__name__)

HOLD_S = 1.5            # default: the last emotion is held this long after its change ends
MAX_DURATION_S = 1800.0


def default_duration_s(keys, transition_s: float) -> float:
    """Seconds to the end of the last change, plus HOLD_S."""
    return max(k.time_s for k in keys) + transition_s + HOLD_S


def timeline_performance(source_aus: np.ndarray, keys, aus, duration_s: float, fps: float,
                         transition_s: float, seed: int = 0, refine: bool = False) -> Performance:
    """source_aus: [17, 2] the portrait's own AUs; keys: [EmotionKey] -> Performance of
    round(duration_s * fps) frames: emotion eased between keys, mouth at rest, head still,
    blinks from `seed`."""
    n = frame_count(duration_s, fps)
    emotion_aus = timeline_aus(list(keys), n, fps,
                               lambda e, lv: target_aus(source_aus, e, lv, aus, refine=refine), transition_s)
    rest = MouthTrack(np.zeros((n, len(MOUTH_CONTROLS)), np.float32), np.zeros(n, np.float32), fps)
    return combine(emotion_aus, rest, np.zeros((n, 3), np.float32), blink_track(n, fps, seed),
                   np.zeros((n, 2), np.float32))


def timeline_video(portrait, output, keys, *, aus=None, duration_s: float | None = None,
                   fps: float = 25.0, transition_s: float = DEFAULT_TRANSITION_S,
                   size: int | None = None, export_curves=None, export_les=None,
                   progress: bool = False, refine: bool = False, lines: bool = True) -> Performance:
    """Portrait (path or RGB uint8 [H, W, 3]) + emotion keys -> silent mp4 at `output`.

    keys: [EmotionKey] (an inline timeline or a keyframe file); aus: AU edits applied
    throughout; duration_s: video length (default: last key + transition + HOLD_S);
    export_curves / export_les: optional JSON / CSV paths; refine: EmoHead hyperplane
    refinement (`control.hyperplanes`); lines: shade expression lines (`render.creases`).
    Returns the Performance."""
    from .export.files import save_exports
    from .io.images import check_output_path

    keys = list(keys)
    if not keys:
        raise InputError("an emotion timeline needs at least one key")
    for key in keys:
        expression_params_check(key.emotion, key.level, aus)
    check_fps(fps)
    if duration_s is None:
        duration_s = default_duration_s(keys, transition_s)
        if duration_s > MAX_DURATION_S:
            raise InputError(f"the timeline's last key at {max(k.time_s for k in keys):g} s would make a {duration_s:g} s video; "
                             f"the longest is {MAX_DURATION_S:g} s")
    if not (np.isfinite(duration_s) and 0 < duration_s <= MAX_DURATION_S):
        raise InputError(f"duration must be between 0 and {MAX_DURATION_S:g} s, got {duration_s!r}")
    inputs = (portrait,) if isinstance(portrait, (str, Path)) else ()
    output = check_output_path(output, inputs)
    prepared = prepare(portrait, size, lines)
    performance = timeline_performance(prepared.source_aus, keys, aus, duration_s, fps, transition_s,
                                       refine=refine)
    log.info("timeline of %d keys over %.2f s: %d frames at %g fps", len(keys), duration_s,
             len(performance), fps)
    write_video(prepared, performance, output, None, progress)
    save_exports(performance, export_curves, export_les, keys, transition_s, Path(output).stem)
    log.info("wrote %s", output)
    return performance
