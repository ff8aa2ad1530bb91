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


# Points that move with the skull, not with any expression (nose ridge, forehead, face sides, eye
# corners): a similarity fitted on them carries the source face frame to the frame being drawn.
SKULL_POINTS = (10, 151, 6, 197, 195, 5, 4, 33, 133, 362, 263, 234, 454, 127, 356)
# Points that move with the mandible (chin), for the lower teeth.
JAW_POINTS = (152, 148, 377, 176, 400)
JAW_TO_INCISORS = 0.85     # the lower incisors sit nearer the jaw's hinge than the chin does

# Tooth geometry in units of half the relaxed inner-mouth width (about 2.2 cm on an adult):
UPPER_SHOW = 0.14          # upper incisor showing below a relaxed upper lip (~3 mm)
UPPER_LENGTH = 0.42        # crown height of the upper incisors (~9-10 mm)
OVERBITE = 0.08            # the lower incisal edge rests this far above the upper one, behind it
LOWER_LENGTH = 0.24        # visible part; the lower lip hides the rest
# interdental seams from the midline outwards (central incisor, lateral, canine, premolar),
# foreshortened towards the corners, and how dark each seam is
TOOTH_SEAMS = ((0.0, 0.22), (0.30, 0.18), (0.52, 0.14), (0.70, 0.10), (0.84, 0.06))
LOWER_SEAMS = ((0.0, 0.12), (0.20, 0.10), (0.42, 0.08), (0.62, 0.06))


def _similarity(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares 2D similarity dst ~ src @ A.T + t (Umeyama) -> (A [2, 2], t [2])."""
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ e @ vt
    scale = float((sig * np.diag(e)).sum() / max((s ** 2).sum() / len(src), 1e-9))
    a = scale * rot
    return a.astype(np.float32), (md - ms @ a.T).astype(np.float32)


def _curve(x_query: np.ndarray, pts_x: np.ndarray, pts_y: np.ndarray) -> np.ndarray:
    order = np.argsort(pts_x)
    return np.interp(x_query, pts_x[order], pts_y[order])


def paint_mouth_interior(frame: np.ndarray, palette: dict[str, np.ndarray], landmarks_src: np.ndarray,
                         landmarks_dst: np.ndarray, down: np.ndarray) -> None:
    """In place on `frame` (RGB uint8 [H, W, 3]): paint the interior where the lips part more
    than in the source. palette: from `mouth_palette`; landmarks_*: [478, >=2] px;
    down: the face's down unit vector [>=2].

    The teeth are anchored to the bones, not to the lips: the upper row to the skull (its edge
    shows ~2 mm below the relaxed upper lip, so raising the upper lip bares more of it and a
    jaw drop does not), the lower row to the mandible (it follows the chin down, half hidden by
    the lower lip). The tongue lies behind the lower teeth; the cavity, the teeth and the tongue
    all darken towards the mouth corners (the buccal corridor) and under the upper lip.
    """
    gap_src = topo.inner_lip_gap_px(landmarks_src, down)
    gap_dst = topo.inner_lip_gap_px(landmarks_dst, down)
    corners = landmarks_dst[list(topo.MOUTH_CORNERS_INNER), :2]
    width = float(np.linalg.norm(corners[1] - corners[0]))
    # how much of the opening is new: 0 = as open as the source (keep its real interior)
    reveal = np.clip((gap_dst - gap_src) / max(gap_src, 0.04 * width, 1.0), 0.0, 1.0)
    if reveal <= 0.0 or gap_dst < 1.0 or width < 2.0:
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
    src2 = landmarks_src[:, :2].astype(np.float32)
    dst2 = landmarks_dst[:, :2].astype(np.float32)
    # everything below is drawn in the source face's mouth frame: pixels and lips go back there
    a, t = _similarity(dst2[list(SKULL_POINTS)], src2[list(SKULL_POINTS)])
    sc = src2[list(topo.MOUTH_CORNERS_INNER)]
    half = 0.5 * max(float(np.linalg.norm(sc[1] - sc[0])), 0.6 * width, 2.0)
    axis = (sc[1] - sc[0]) / max(float(np.linalg.norm(sc[1] - sc[0])), 1e-6)
    normal = np.array([-axis[1], axis[0]], np.float32)
    if normal @ np.asarray(down[:2], np.float32) < 0:
        normal = -normal
    centre = 0.5 * (src2[topo.LIPS_UPPER_INNER[5]] + src2[topo.LIPS_LOWER_INNER[5]])
    basis = np.stack([axis / half, normal], 1)          # -> (x in half-widths, v in px down)

    def to_mouth(points_dst: np.ndarray) -> np.ndarray:
        return (points_dst @ a.T + t - centre) @ basis

    py, px = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    grid = to_mouth(np.stack([px, py], -1))
    x, v = grid[..., 0], grid[..., 1]
    ax = np.abs(x)
    up_dst = to_mouth(dst2[list(topo.LIPS_UPPER_INNER)])
    lo_dst = to_mouth(dst2[list(topo.LIPS_LOWER_INNER)])
    up_src = (src2[list(topo.LIPS_UPPER_INNER)] - centre) @ basis
    upper_lip = _curve(x, up_dst[:, 0], up_dst[:, 1])     # v of the lip edges at each pixel's x
    lower_lip = _curve(x, lo_dst[:, 0], lo_dst[:, 1])
    relaxed_upper = _curve(x, up_src[:, 0], up_src[:, 1])
    jaw = (to_mouth(dst2[list(JAW_POINTS)]) - (src2[list(JAW_POINTS)] - centre) @ basis).mean(0)
    jaw_v = JAW_TO_INCISORS * float(jaw[1])
    # bone-anchored tooth lines (v, px): upper incisal edge curves up towards the corners
    edge_u = relaxed_upper + half * UPPER_SHOW * (1.0 - 0.6 * ax ** 2)
    gum_u = edge_u - half * UPPER_LENGTH * (1.0 - 0.2 * ax ** 2)
    edge_l = edge_u - half * OVERBITE + jaw_v
    foot_l = edge_l + half * LOWER_LENGTH
    opening = np.maximum(lower_lip - upper_lip, 1e-3)

    def inside(lo, hi, soft=0.8):   # soft coverage of lo < v < hi
        return np.clip((v - lo) / soft + 0.5, 0, 1) * np.clip((hi - v) / soft + 0.5, 0, 1)

    c = palette
    below_upper = v - upper_lip
    # cavity: dark, darker deep inside and towards the corners
    deep = np.clip(np.minimum(below_upper, lower_lip - v) / np.maximum(0.3 * opening, 1.0), 0, 1)
    img = np.empty(alpha.shape + (3,), np.float32)
    img[:] = c["cavity"]
    img *= (0.9 - 0.4 * deep * np.clip(1.1 - ax, 0, 1))[..., None]
    # tongue: a rounded hump resting behind the lower teeth, lit on its front
    hump = np.sqrt(np.clip(1.0 - (x / 0.9) ** 2, 0, 1))
    tongue_top = edge_l - 0.12 * half * hump
    tongue = np.clip((v - tongue_top) / 1.0, 0, 1) * hump
    lit = 0.5 + 0.5 * np.clip((v - tongue_top) / max(0.25 * half, 1.0), 0, 1)
    img += (c["tongue"] * lit[..., None] - img) * tongue[..., None]
    # tooth shading: corners recede into shadow; seams between the teeth
    arch_light = np.clip(1.0 - 0.6 * ax ** 2.2, 0.2, 1.0)
    def seams(table):
        out = np.ones_like(ax)
        for pos, strength in table:
            out -= strength * (1.0 - np.clip(np.abs(ax - pos) * half / max(0.012 * half, 0.6), 0, 1))
        return out
    lip_shadow = 0.6 + 0.4 * np.clip(below_upper / max(0.12 * half, 1.0), 0, 1)
    # lower teeth (behind the upper row, narrower arch, in the upper lip's and teeth's shadow)
    lower_t = inside(edge_l, foot_l) * np.clip((0.75 - ax) / 0.15, 0, 1)
    down_shadow = 0.6 - 0.3 * np.clip((v - edge_l) / max(0.2 * half, 1.0), 0, 1)
    lower_shade = arch_light * seams(LOWER_SEAMS) * down_shadow * (0.75 + 0.25 * lip_shadow)
    img += (c["teeth"] * lower_shade[..., None] - img) * lower_t[..., None]
    # upper teeth, and the gum above them if the lip is raised that far
    upper_t = inside(gum_u, edge_u) * np.clip((1.02 - ax) / 0.1, 0, 1)
    edge_tint = 1.0 - 0.12 * np.clip((v - edge_u) / max(0.08 * half, 1.0) + 1.0, 0, 1)
    img += (c["teeth"] * (arch_light * seams(TOOTH_SEAMS) * lip_shadow * edge_tint)[..., None] - img) * upper_t[..., None]
    gum = np.clip((gum_u - v) / 0.8 + 0.5, 0, 1) * np.clip((1.0 - ax) / 0.1, 0, 1)
    img += (c["tongue"] * (0.8 * arch_light * lip_shadow)[..., None] - img) * gum[..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32) / 255.0
    a_px = cv2.GaussianBlur(alpha, (3, 3), 0.6)[..., None]
    blended = region * (1 - a_px) + img * a_px
    frame[y0:y1, x0:x1] = np.clip(blended * 255.0 + 0.5, 0, 255).astype(np.uint8)
