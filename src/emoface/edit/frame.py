"""Re-render one video frame from itself with an expression residual, in the face region only.

    frame + its landmarks --rig (AU residual)--> moved landmarks --keep lip gaps--> mesh warp of
    the face region --eyeballs--> --expression lines--> feathered paste--> frame

The frame is its own source: the warp starts from the frame's own pixels and landmarks, so
identity, lighting, background and the real mouth interior all come from the frame. The mouth's
articulation is the frame's: after the rig has moved the face, every inner-lip column is put
back to the frame's own gap (`keep_lip_gaps`), so closed lips stay closed and an opening keeps
its size, while the lip corners may move with the emotion. No mouth interior is painted (the
opening is never wider than the frame's, whose real teeth and tongue are warped along). The
expression lines the residual folds (frown lines for lowered, drawn-together brows, forehead
lines for raised ones...) are shaded as `render_frame` shades them (`render.creases`), measured
against the frame's own landmarks, so only what the edit adds is drawn. Where the edit lifts a
lid, the eye is redrawn as a rigid eyeball from the frame's own iris and white (`render.eyes`).

Only a box around the face is warped (`face_region`, about twice the face's size, which holds
the renderer's moving rings), and pasted back with a feathered seam, so a 1080p frame costs
about what a 512 px one does.

Convention: points are (x, y[, z]) px of the full frame, y down; frames RGB uint8 [H, W, 3].
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from ..analyze import topology as topo
from ..render.compose import warp_image
from ..render.creases import shade_creases
from ..render.control_mesh import build_control_mesh
from ..render.eyes import measure_eyes, paint_eyes
from ..rig.deform import FaceFit, deform, keep_lip_bands_ordered
from ..types import FaceAnalysis, RigParams

REGION_REACH = 1.0      # the warped box reaches this many face sizes from the face's centre
FEATHER_SHARE = 0.12    # the pasted box fades in over this share of its side (interior sides only)
STILL_PX = 0.05         # residual motion below this (px) leaves the frame untouched


def face_region(landmarks_px: np.ndarray, image_size: tuple[int, int],
                reach: float = REGION_REACH) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) px, half-open, the box warped around a face: its centre +- `reach` x the
    face mesh's larger side, clipped to the frame. landmarks_px: [478, >=2]; image_size: (H, W)."""
    h, w = image_size
    pts = landmarks_px[: topo.N_MESH, :2]
    lo, hi = pts.min(0), pts.max(0)
    centre, side = (lo + hi) / 2, float((hi - lo).max())
    x0, y0 = np.floor(centre - reach * side).astype(int)
    x1, y1 = np.ceil(centre + reach * side).astype(int) + 1
    return max(int(x0), 0), max(int(y0), 0), min(int(x1), w), min(int(y1), h)


@functools.lru_cache(maxsize=64)
def feather(height: int, width: int, ramp_px: int, sides: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """[height, width] float32 paste weight: 1 inside, a raised-cosine ramp down to 0 over
    `ramp_px` at each side marked in sides (left, top, right, bottom) — the sides that lie inside
    the frame; the frame's own edges need no seam."""
    def ramp(n: int, start: bool, end: bool) -> np.ndarray:
        r = np.ones(n, np.float32)
        k = min(ramp_px, n // 2)
        if k > 0:
            up = (0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / k)).astype(np.float32)
            if start:
                r[:k] = up
            if end:
                r[n - k:] = up[::-1]
        return r

    left, top, right, bottom = sides
    return np.outer(ramp(height, top, bottom), ramp(width, left, right)).astype(np.float32)


def keep_lip_gaps(moved: np.ndarray, source: np.ndarray) -> None:
    """In place on moved [478, 3] px: each lip column is shifted, all its rings together (so the
    lip keeps its thickness), until the inner-lip gap vector (lower minus upper inner point) is
    the source's [478, 3] again. The lip the rig moved more gives way more (a chin raiser pushing
    the lower lip up is undone on the lower lip, an upper-lip raiser on the upper lip), shares in
    proportion to each inner point's motion. The mouth corners, where the lips meet, stay where
    the rig put them."""
    upper_inner, lower_inner = topo.UPPER_LIP_RINGS[0], topo.LOWER_LIP_RINGS[0]
    for k in range(1, len(upper_inner) - 1):
        u, lo = upper_inner[k], lower_inner[k]
        correction = (source[lo, :2] - source[u, :2]) - (moved[lo, :2] - moved[u, :2])
        move_u = float(np.linalg.norm(moved[u, :2] - source[u, :2]))
        move_lo = float(np.linalg.norm(moved[lo, :2] - source[lo, :2]))
        lower_share = move_lo / (move_u + move_lo) if move_u + move_lo > 1e-6 else 0.5
        for ring in topo.UPPER_LIP_RINGS:
            moved[ring[k], :2] -= (1.0 - lower_share) * correction
        for ring in topo.LOWER_LIP_RINGS:
            moved[ring[k], :2] += lower_share * correction


def moved_landmarks(analysis: FaceAnalysis, fit: FaceFit, au_delta: np.ndarray) -> np.ndarray:
    """Where the residual [17, 2] (AU units, AU25/26 already zero) puts the face's landmarks,
    articulation kept -> [478, 3] px. The lip columns go back to the frame's gaps, their bands
    whole, before the lips' rings are put in order (`keep_lip_bands_ordered`, which would
    otherwise thin a lip that the residual pushes into the other one and the gap then moves back)."""
    moved = deform(analysis, RigParams(au_delta=au_delta.astype(np.float32)), fit, order_lips=False)
    keep_lip_gaps(moved, analysis.landmarks_px)
    keep_lip_bands_ordered(moved, analysis.landmarks_px, fit.down)
    return moved


def edit_frame(rgb: np.ndarray, analysis: FaceAnalysis, fit: FaceFit, au_delta: np.ndarray,
               lines: bool = True) -> np.ndarray:
    """Re-render one frame with an AU residual -> RGB uint8 [H, W, 3] (a new array; `rgb`, the
    frame RGB uint8 [H, W, 3], is left as it is).

    analysis: the frame's own face (landmarks in px of `rgb`); fit: canonical->frame similarity;
    au_delta: [17, 2] AU change on the 0-5 scale (subject's left, right), already eased;
    lines: shade the expression lines the residual folds (False: the warp alone).
    """
    out = rgb.copy()
    source = analysis.landmarks_px
    moved = moved_landmarks(analysis, fit, au_delta)
    if float(np.abs(moved - source)[:, :2].max()) < STILL_PX:
        return out
    x0, y0, x1, y1 = face_region(source, rgb.shape[:2])
    if x1 - x0 < 8 or y1 - y0 < 8:
        return out
    offset = np.array([x0, y0, 0], np.float32)
    src_local, dst_local = source - offset, moved - offset
    crop = rgb[y0:y1, x0:x1]
    warped = warp_image(crop, build_control_mesh(src_local, crop.shape[:2]), dst_local)
    paint_eyes(warped, crop, measure_eyes(crop, src_local), src_local, dst_local)
    if lines:
        shade_creases(warped, src_local, dst_local, fit.down, fit.scale)
    h, w = rgb.shape[:2]
    sides = (x0 > 0, y0 > 0, x1 < w, y1 < h)
    if any(sides):
        ramp = max(2, int(round(FEATHER_SHARE * min(x1 - x0, y1 - y0))))
        alpha = feather(y1 - y0, x1 - x0, ramp, sides)
        warped = cv2.blendLinear(warped, crop, alpha, 1.0 - alpha)
    out[y0:y1, x0:x1] = warped
    return out
