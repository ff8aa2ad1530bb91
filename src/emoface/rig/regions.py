"""Soft per-vertex region weights on the canonical mesh, [468] float32 in [0, 1].

Convention: canonical space, cm, x towards the subject's left, y up, z towards the viewer.
These weights keep each AU's displacement on its side of the face's natural seams: the lips
(upper lip vs lower lip/jaw), the eyelids (upper vs lower), the brows (above the eyes).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..analyze import topology as topo


def smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def falloff(verts: np.ndarray, anchors, radius: float) -> np.ndarray:
    """Gaussian weight of each vertex by its distance (cm) to the nearest anchor vertex."""
    d2 = ((verts[:, None, :] - verts[list(anchors)][None, :, :]) ** 2).sum(-1).min(1)
    return np.exp(-d2 / (2.0 * radius * radius)).astype(np.float32)


def left_weight(verts: np.ndarray) -> np.ndarray:
    """1 on the subject's left half, 0 on the right, a 1 cm soft seam at the midline."""
    return smoothstep(verts[:, 0], -0.5, 0.5)


def jaw_weight(verts: np.ndarray) -> np.ndarray:
    """1 for the lower lip, chin and jaw (what moves when the mouth opens), 0 above the lip line.

    Below the mouth the seam follows the line between the inner lips; beyond the mouth corners it
    softens with distance so the cheeks stretch smoothly instead of tearing.
    """
    upper = verts[list(topo.LIPS_UPPER_INNER)]
    lower = verts[list(topo.LIPS_LOWER_INNER)]
    line_x = (upper[:, 0] + lower[:, 0]) / 2
    line_y = (upper[:, 1] + lower[:, 1]) / 2
    order = np.argsort(line_x)
    x_corner = float(np.abs(line_x).max())
    x = verts[:, 0]
    y_line = np.interp(np.clip(x, -x_corner, x_corner), line_x[order], line_y[order])
    beyond = np.maximum(np.abs(x) - x_corner, 0.0)
    softness = 0.12 + 0.45 * beyond
    w = expit(-(verts[:, 1] - y_line) / softness)
    # nothing above the nose base moves with the jaw
    w *= 1.0 - smoothstep(verts[:, 1], -2.6, -1.6)
    w[list(topo.LIPS_UPPER_INNER) + list(topo.LIPS_UPPER_OUTER)] = 0.0
    w[list(topo.LIPS_LOWER_INNER) + list(topo.LIPS_LOWER_OUTER)] = 1.0
    w[list(topo.MOUTH_CORNERS) + list(topo.MOUTH_CORNERS_INNER)] = 0.5
    return w.astype(np.float32)


def above_eyes(verts: np.ndarray, lo: float = 2.9, hi: float = 3.6) -> np.ndarray:
    """Brow/forehead region: 0 at and below the upper eyelid, 1 from the brows up."""
    return smoothstep(verts[:, 1], lo, hi)


def upper_lid_side(verts: np.ndarray) -> np.ndarray:
    """Near the eyes: 1 above the mid-line between the eyelid margins, 0 below (soft, ~1 mm)."""
    lids = list(topo.RIGHT_EYE_UPPER + topo.RIGHT_EYE_LOWER + topo.LEFT_EYE_UPPER + topo.LEFT_EYE_LOWER)
    mid_y = float(verts[lids, 1].mean())
    return expit((verts[:, 1] - mid_y) / 0.08).astype(np.float32)
