"""Rig parameters of a video, frame after frame -> deformed landmarks, with the fold repair
smoothed in time.

`rig.untangle` repairs one frame at a time: a skin triangle that folds on a bilabial closure is
relaxed on exactly those frames and not on their neighbours, so in a video the skin around the
mouth snaps by several pixels as the repair switches on and off (up to 7.6 px on the real-speaker
clip of `bench/lipsync.py`). Here each frame's repair is a Gaussian-weighted mean of the repairs
of the frames around it (sigma REPAIR_SIGMA_S), so it fades in and out over about a tenth of a
second. A frame whose neighbours all need the same repair keeps it exactly: a still expression
renders as `deform` draws it. Frames are streamed with a lookahead of three sigmas, so memory
stays bounded however long the video.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np

from ..types import FaceAnalysis, RigParams
from .deform import FaceFit, finish_deform, fold_repair, move_skin

# About three frames at 25 fps: a repair held for a 4-frame bilabial closure fades in and out
# over 2-3 frames (bench/repair_snap.py: largest jump 7.6 -> 0.8 px on the real-speaker clip),
# while an expression held for half a second keeps its whole repair.
REPAIR_SIGMA_S = 0.12


def repair_weights(fps: float, sigma_s: float) -> np.ndarray:
    """[2R+1] Gaussian weights over frame offsets -R..R (R = 3 sigma in frames), summing to 1."""
    sigma = max(sigma_s * fps, 1e-6)
    radius = int(math.ceil(3.0 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / weights.sum()


def deform_sequence(analysis: FaceAnalysis, params: Iterable[RigParams], fit: FaceFit,
                    fps: float, sigma_s: float | None = None) -> Iterator[np.ndarray]:
    """Yield [478, 3] px deformed landmarks per frame of `params` (as `rig.deform.deform`), the
    fold repair of each frame averaged over its neighbours (weights renormalised at the ends);
    sigma_s: seconds, REPAIR_SIGMA_S by default."""
    weights = repair_weights(fps, REPAIR_SIGMA_S if sigma_s is None else sigma_s)
    radius = len(weights) // 2
    window: deque = deque(maxlen=len(weights))   # (params, skin [478, 3], repair [468, 2]) of the last frames read

    def emit(k: int, last: int) -> np.ndarray:
        """Frame k, with frames up to `last` read (window[-1] is frame `last`)."""
        first = last - len(window) + 1
        lo, hi = max(k - radius, first), min(k + radius, last)
        w = weights[lo - k + radius: hi - k + radius + 1]
        repair = np.tensordot(w / w.sum(), np.stack([window[j - first][2] for j in range(lo, hi + 1)]), 1)
        p, skin, _ = window[k - first]
        return finish_deform(analysis, p, fit, skin, repair.astype(np.float32))

    last = -1
    for last, p in enumerate(params):
        skin = move_skin(analysis, p, fit)
        window.append((p, skin, fold_repair(analysis, skin)))
        if last >= radius:
            yield emit(last - radius, last)
    for k in range(max(last - radius + 1, 0), last + 1):
        yield emit(k, last)
