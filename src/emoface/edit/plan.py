"""What the edit changes in each frame: the emotion residual on the frame's own expression.

    per-frame AU readings --smooth (5 frames)--> own AUs a_t
    residual_t = target_aus(a_t, emotion, level, aus) - a_t     (LES relax + inject, per frame)
    mouth articulation kept: residual of AU25 (lips part) and AU26 (jaw drop) = 0
    eyelid AUs (5, 7) give way while the frame's own eye blinks (a lid cannot be raised over a
    closed eye: there is no eyeball to show)
    eased to 0 around frames where the face is lost

THFEM's adjacent-frame prior (n = 5) appears here as a centred 5-frame window over the AU
readings: a single frame's reading jitters (the blendshapes react to speech shapes and noise),
and a residual computed from it would make the brows and lip corners flicker. Timelines blend
each key's residual with `control.timeline.timeline_aus`'s ramps (LES is linear, so blending
residuals is blending targets).

Convention: AU arrays are [T, 17, 2] on OpenFace's 0-5 scale, rows `vocab.AU_IDS`, columns
(subject's left, right); frames are indexed at `fps`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..control.les import target_aus
from ..control.timeline import DEFAULT_TRANSITION_S, EmotionKey, timeline_aus
from ..vocab import AU_INDEX, AU_MAX

AU_WINDOW = 5                 # frames, centred (THFEM's n = 5)
EASE_S = 0.24                 # the edit fades out over this long before a lost face, in after it
ARTICULATION_AUS = (25, 26)   # never edited: the mouth opens and closes as in the source
KEPT_ROWS = tuple(AU_INDEX[au] for au in ARTICULATION_AUS)
LID_AUS = (5, 7)              # eyelid AUs, which give way while the frame's own eye blinks
LID_ROWS = tuple(AU_INDEX[au] for au in LID_AUS)


@dataclass(frozen=True)
class EditSpec:
    """The edit: an emotion (or mixture) at a level, or a timeline of keys, plus AU edits.

    emotion: None keeps the frames' own expression (only `aus` apply); timeline: optional
    [EmotionKey] (replaces emotion/level), transition_s: how long each change takes;
    aus: {AU: delta} as for `emoface.express`."""

    emotion: str | None = None
    level: float = 0.0
    aus: dict | None = None
    timeline: tuple[EmotionKey, ...] | None = None
    transition_s: float = DEFAULT_TRANSITION_S

    def check(self) -> None:
        """Raise InputError for an unknown emotion, bad level or AU before any work."""
        from ..pipeline import expression_params_check

        from ..control.les import parse_au_edits
        from ..errors import InputError

        for key in self.timeline or ():
            expression_params_check(key.emotion, key.level, self.aus)
        expression_params_check(self.emotion, self.level, self.aus)
        if np.any(parse_au_edits(self.aus)[list(KEPT_ROWS)]):
            raise InputError("AU25 and AU26 (lips part, jaw drop) belong to the speech and are kept "
                             "as in the video; edit other AUs")


def hann_weights(window: int) -> np.ndarray:
    """[window] centred smoothing weights (a Hann window without its zero ends), summing to 1."""
    w = np.hanning(window + 2)[1:-1]
    return (w / w.sum()).astype(np.float64)


def smooth_aus(aus: np.ndarray, found: np.ndarray, window: int = AU_WINDOW) -> np.ndarray:
    """[T, 17, 2] readings (NaN where lost) -> [T, 17, 2] centred weighted means over `window`
    frames, using only frames where the face was found (weights renormalised); NaN where lost."""
    t = len(aus)
    half = window // 2
    weights = hann_weights(window)
    values = np.where(found[:, None, None], np.nan_to_num(aus), 0.0).astype(np.float64)
    mask = found.astype(np.float64)
    padded = np.pad(values, ((half, half), (0, 0), (0, 0)))
    padded_mask = np.pad(mask, (half, half))
    total = np.zeros_like(values)
    norm = np.zeros(t)
    for k, wk in enumerate(weights):
        total += wk * padded[k: k + t]
        norm += wk * padded_mask[k: k + t]
    out = total / np.maximum(norm, 1e-12)[:, None, None]
    out[~found] = np.nan
    return out.astype(np.float32)


def ease_weights(found: np.ndarray, fps: float, ease_s: float = EASE_S) -> np.ndarray:
    """[T] in [0, 1]: 0 where the face is lost, rising with a raised cosine to 1 over `ease_s`
    away from any lost frame (start and end of the video do not count as lost)."""
    t = len(found)
    lost = np.flatnonzero(~found)
    if len(lost) == 0:
        return np.ones(t, np.float32)
    frames = max(ease_s * fps, 1.0)
    idx = np.arange(t)
    # distance (frames) from each frame to the nearest lost frame
    pos = np.searchsorted(lost, idx)
    before = np.where(pos > 0, idx - lost[np.maximum(pos - 1, 0)], np.inf)
    after = np.where(pos < len(lost), lost[np.minimum(pos, len(lost) - 1)] - idx, np.inf)
    distance = np.minimum(before, after)
    ramp = np.clip(distance / frames, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * ramp)).astype(np.float32)


def _residual(own: np.ndarray, emotion: str | None, level: float, aus) -> np.ndarray:
    """[T, 17, 2] target minus own for one (emotion, level), per found frame."""
    out = np.zeros_like(own)
    for i in np.flatnonzero(np.isfinite(own[:, 0, 0])):
        out[i] = target_aus(own[i], emotion, level, aus) - own[i]
    return out


def residual_aus(own: np.ndarray, found: np.ndarray, fps: float, spec: EditSpec,
                 blink: np.ndarray | None = None) -> np.ndarray:
    """The AU change per frame -> [T, 17, 2] float32 (0 where lost, eased around it; AU25/26 0).

    own: [T, 17, 2] the frames' own (smoothed) AUs, NaN where lost; found: [T] bool;
    blink: optional [T, 2] the frames' own eye closure per side (AU45 reading, 0-5, unsmoothed):
    the eyelid AUs fade out as the eye closes."""
    t = len(own)
    if spec.timeline:
        keys = list(spec.timeline)
        pairs = list(dict.fromkeys((k.emotion, k.level) for k in keys))
        residual = np.zeros((t, 17, 2), np.float32)
        for pair in pairs:
            # this pair's share of each frame: the timeline's own ramps applied to a 0/1 target
            share = timeline_aus(keys, t, fps, lambda e, lv, p=pair: np.full((17, 2), float((e, lv) == p)),
                                 spec.transition_s)[:, 0, 0]
            if share.any():
                residual += share[:, None, None] * _residual(own, pair[0], pair[1], spec.aus)
    else:
        residual = _residual(own, spec.emotion, spec.level, spec.aus)
    residual[:, list(KEPT_ROWS)] = 0.0
    if blink is not None:
        open_share = 1.0 - np.clip(np.nan_to_num(blink) / AU_MAX, 0.0, 1.0)   # [T, 2]
        residual[:, list(LID_ROWS)] *= open_share[:, None, :]
    residual *= ease_weights(found, fps)[:, None, None]
    residual[~found] = 0.0
    return residual.astype(np.float32)
