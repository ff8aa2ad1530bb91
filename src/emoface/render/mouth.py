"""Mouth interior for lips parted wider than in the source: cavity, teeth, tongue, shading.

Where the source mouth was closed, the warp can only stretch the lip line across the opening,
so the inside is painted: a dark cavity, the upper teeth hanging from the upper lip, the lower
teeth and tongue rising from the lower lip (visible as the jaw opens), soft shading towards the
corners and under the upper lip, all inside an anti-aliased lip polygon. Colours are taken from
the person's own lips and skin so a sepia photo or a painting gets matching tones.

Convention: landmarks are px (x, y), y down; images are float32 RGB in [0, 1].
"""
from __future__ import annotations

import cv2
import numpy as np

from ..analyze import topology as topo

AA_SHIFT = 4  # cv2 sub-pixel bits for polygon filling


def mouth_gap_px(landmarks: np.ndarray, down: np.ndarray) -> float:
    """Mean inner-lip gap (px) along the face's down direction over the middle pairs."""
    upper = landmarks[list(topo.LIPS_UPPER_INNER[3:-3]), :2]
    lower = landmarks[list(topo.LIPS_LOWER_INNER[3:-3]), :2]
    return float(np.mean((lower - upper) @ down[:2]))


def inner_lip_polygon(landmarks: np.ndarray) -> np.ndarray:
    """[20, 2] px: upper inner lip left->right, then lower inner lip back (corners once)."""
    upper = landmarks[list(topo.LIPS_UPPER_INNER), :2]
    lower = landmarks[list(topo.LIPS_LOWER_INNER[1:-1]), :2][::-1]
    return np.concatenate([upper, lower]).astype(np.float32)


def _polygon_mask(poly: np.ndarray, origin: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased [h, w] float32 coverage of a polygon given in image px."""
    mask = np.zeros(shape, np.uint8)
    pts = np.round((poly - origin) * (1 << AA_SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=AA_SHIFT)
    return mask.astype(np.float32) / 255.0


def mouth_palette(source: np.ndarray, landmarks_src: np.ndarray) -> dict[str, np.ndarray]:
    """Colours (float32 RGB) for the interior, matched to the image.

    Teeth stay near-white and the cavity dark red, but a black-and-white or sepia image (low
    colour saturation around the face) gets equally desaturated ones, and a dim image dimmer ones.
    source: RGB uint8 [H, W, 3]; landmarks_src: [478, >=2] px.
    """
    h, w = source.shape[:2]
    face = landmarks_src[:468, :2]
    x0, y0 = np.clip(face.min(0).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(face.max(0).astype(int) + 1, 1, [w, h])
    patch = source[y0:y1, x0:x1].reshape(-1, 3).astype(np.float32) / 255.0
    sat = float(np.median((patch.max(1) - patch.min(1)) / np.maximum(patch.max(1), 1e-3)))
    keep = float(np.clip(sat / 0.25, 0.0, 1.0))            # 0 for grey images
    light = float(np.clip(np.median(patch.max(1)) / 0.6, 0.6, 1.0))
    colours = {
        "cavity": np.array([0.20, 0.05, 0.06], np.float32),
        "tongue": np.array([0.70, 0.33, 0.33], np.float32),
        "teeth": np.array([0.94, 0.92, 0.86], np.float32),
    }
    out = {}
    for name, c in colours.items():
        grey = float(c.mean())
        out[name] = np.clip((grey + keep * (c - grey)) * light, 0, 1).astype(np.float32)
    return out


def paint_mouth_interior(frame: np.ndarray, palette: dict[str, np.ndarray], landmarks_src: np.ndarray,
                         landmarks_dst: np.ndarray, down: np.ndarray) -> None:
    """In place on `frame` (RGB uint8 [H, W, 3]): paint the interior where the lips part more
    than in the source. palette: from `mouth_palette`; landmarks_*: [478, >=2] px;
    down: the face's down unit vector [>=2]."""
    gap_src = mouth_gap_px(landmarks_src, down)
    gap_dst = mouth_gap_px(landmarks_dst, down)
    corners = landmarks_dst[list(topo.MOUTH_CORNERS_INNER), :2]
    width = float(np.linalg.norm(corners[1] - corners[0]))
    # how much of the opening is new: 0 = as open as the source (keep its real interior)
    reveal = np.clip((gap_dst - gap_src) / max(gap_src, 0.04 * width, 1.0), 0.0, 1.0)
    if reveal <= 0.0 or gap_dst < 1.0:
        return
    poly = inner_lip_polygon(landmarks_dst)
    h, w = frame.shape[:2]
    x0, y0 = np.floor(poly.min(0)).astype(int) - 2
    x1, y1 = np.ceil(poly.max(0)).astype(int) + 3
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    origin = np.array([x0, y0], np.float32)
    alpha = _polygon_mask(poly, origin, (y1 - y0, x1 - x0)) * reveal
    if not alpha.any():
        return
    colours = palette
    # local mouth coordinates: u along the lips (0..1 corner to corner), s = px below upper lip
    axis = (corners[1] - corners[0]) / max(width, 1e-6)
    py, px = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    rel_x, rel_y = px - corners[0, 0], py - corners[0, 1]
    u = np.clip((rel_x * axis[0] + rel_y * axis[1]) / max(width, 1e-6), 0, 1)
    upper = landmarks_dst[list(topo.LIPS_UPPER_INNER), :2]
    lower = landmarks_dst[list(topo.LIPS_LOWER_INNER), :2]
    u_pts = np.clip(((upper - corners[0]) @ axis) / max(width, 1e-6), 0, 1)
    u_low = np.clip(((lower - corners[0]) @ axis) / max(width, 1e-6), 0, 1)
    along = rel_x * -axis[1] + rel_y * axis[0]  # px along the mouth's down direction
    up_line = np.interp(u, u_pts, (upper - corners[0]) @ np.array([-axis[1], axis[0]]))
    lo_line = np.interp(u, u_low, (lower - corners[0]) @ np.array([-axis[1], axis[0]]))
    below_upper = along - up_line
    above_lower = lo_line - along
    teeth_h = 0.13 * width
    centre = 1.0 - np.abs(u - 0.5) * 2.0           # 1 mid-mouth, 0 at the corners
    img = np.empty(alpha.shape + (3,), np.float32)
    img[:] = colours["cavity"]
    # tongue: a low rounded mass behind the lower teeth
    tongue = np.clip(1.0 - above_lower / max(0.45 * gap_dst, 1.0), 0, 1) * np.clip(centre * 1.6, 0, 1)
    img += (colours["tongue"] - colours["cavity"]) * (tongue ** 0.7)[..., None] * 0.9
    # teeth: upper row hangs from the upper lip; lower row shows once the jaw is well open
    tooth_gaps = 0.82 + 0.18 * np.abs(np.cos(np.pi * (u - 0.5) * 8.0)) ** 0.3
    upper_teeth = np.clip((teeth_h - below_upper) / 1.5, 0, 1) * np.clip((centre - 0.2) * 3.0, 0, 1)
    lower_vis = np.clip((gap_dst - 0.25 * width) / (0.2 * width), 0, 1)
    lower_teeth = np.clip((0.6 * teeth_h - above_lower) / 1.5, 0, 1) * np.clip((centre - 0.3) * 3.0, 0, 1) * lower_vis
    teeth_shade = (0.55 + 0.45 * centre) * tooth_gaps
    under_lip_shadow = np.clip(below_upper / max(0.25 * teeth_h, 1.0), 0.35, 1.0)
    img = img * (1 - upper_teeth[..., None]) + (colours["teeth"] * (teeth_shade * under_lip_shadow)[..., None]) * upper_teeth[..., None]
    img = img * (1 - lower_teeth[..., None]) + (colours["teeth"] * (0.7 * teeth_shade)[..., None]) * lower_teeth[..., None]
    # depth shading: darker towards the corners and just inside the lips
    edge = np.clip(np.minimum(below_upper, above_lower) / 2.0, 0.0, 1.0)
    img *= ((0.45 + 0.55 * np.sqrt(centre)) * (0.6 + 0.4 * edge))[..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32) / 255.0
    a = cv2.GaussianBlur(alpha, (3, 3), 0.6)[..., None]
    blended = region * (1 - a) + img * a
    frame[y0:y1, x0:x1] = np.clip(blended * 255.0 + 0.5, 0, 255).astype(np.uint8)
