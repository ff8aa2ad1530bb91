"""A portrait's own upper teeth, carried by the skull instead of painted.

A portrait whose mouth is open (a smile that shows teeth, a frame grabbed mid-word) has real
teeth, which the painted interior (`mouth.paint_mouth_interior`) would otherwise replace as soon
as the lips move. Teeth are bone, not skin, so they are not warped with the lips either: the
part of the source's opening above the upper row's biting edge (the upper teeth, and any gum or
shadow above them) moves rigidly with the skull, by the same similarity the painted upper row
uses, and is laid over the painted interior inside the moved lips. Everything below that edge
(lower teeth, tongue, cavity) stays painted: it follows the jaw, and in a portrait it is mostly
the inner lower lip or shadow, which carried down by the jaw reads as a second lip.

Convention: points are px (x, y), y down; colours float32 RGB in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# A column's upper row ends where its first run of tooth-coloured pixels (from the upper lip
# down) ends; where the teeth run on to the lower lip (rows closed together), at most this share
# of half the mouth's width (the upper incisors' crown, ~9-10 mm: `mouth.UPPER_LENGTH`).
UPPER_CROWN = 0.42
COLUMN_STEP_PX = 0.5
MIN_COLUMN_PX = 2.0
FEATHER_PX = 0.7           # soft edge of the teeth's coverage


@dataclass(frozen=True)
class OwnTeeth:
    """The source's upper teeth. origin: [2] float32 px, the crop's top-left in the source
    image; rgb: [h, w, 3] float32 the source crop; cover: [h, w] float32 0..1 where the upper
    row (and what lies above it inside the lips) is."""

    origin: np.ndarray
    rgb: np.ndarray
    cover: np.ndarray


def sample_points(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples [..., 3] of an image [H, W, 3] at points [..., 2] px (edges repeated)."""
    flat = points.reshape(-1, 1, 2).astype(np.float32)
    out = cv2.remap(image, flat[..., 0], flat[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(points.shape[:-1] + (3,))


def bite_fractions(lab: np.ndarray, upper: np.ndarray, lower: np.ndarray, is_tooth, crown_px: float) -> np.ndarray:
    """Per lip column, where the upper row's biting edge lies, as a share of the way from the
    upper lip's edge to the lower lip's -> [N] float32 (NaN where the column shows no teeth).

    lab: Lab crop; upper / lower: [N, 2] px of the crop, the lips' real edges, corner to corner
    (the corner columns are skipped); is_tooth: Lab samples [n, 3] -> [n] bool; crown_px: the
    longest upper crown that may show."""
    out = np.full(len(upper), np.nan, np.float32)
    for k in range(1, len(upper) - 1):
        length = float(np.linalg.norm(lower[k] - upper[k]))
        if length < MIN_COLUMN_PX:
            continue
        n = int(np.ceil(length / COLUMN_STEP_PX)) + 1
        s = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
        tooth = is_tooth(sample_points(lab, upper[k] + s * (lower[k] - upper[k])))
        hits = np.flatnonzero(tooth)
        if len(hits) == 0:
            continue
        gaps = np.flatnonzero(~tooth[hits[0]:])
        end = hits[0] + (gaps[0] if len(gaps) else n - hits[0])
        out[k] = min(end / (n - 1), crown_px / length, 1.0)
    return out


def measure_own_teeth(image: np.ndarray, upper_edge: np.ndarray, lower_edge: np.ndarray,
                      is_tooth) -> OwnTeeth | None:
    """The source's upper teeth, or None where no lip column shows teeth (the painted interior
    alone is drawn then).

    image: RGB uint8 [H, W, 3]; upper_edge / lower_edge: [N, 2] px, where the lips really end
    (`mouth.lip_edges`), from one inner mouth corner to the other (the crown's length is measured
    in half their distance); is_tooth: Lab samples [n, 3] -> [n] bool (`mouth.own_teeth_reading`)."""
    half_width_px = 0.5 * float(np.linalg.norm(upper_edge[-1] - upper_edge[0]))
    pts = np.concatenate([upper_edge, lower_edge]).astype(np.float32)
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(pts.min(0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(pts.max(0)).astype(int) + 3, [w, h])
    if x1 - x0 < 4 or y1 - y0 < 3:
        return None
    origin = np.array([x0, y0], np.float32)
    rgb = image[y0:y1, x0:x1].astype(np.float32) / 255.0
    up, lo = upper_edge - origin, lower_edge - origin
    frac = bite_fractions(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB), up, lo, is_tooth, UPPER_CROWN * half_width_px)
    known = np.isfinite(frac)
    if not known.any():
        return None
    k = np.arange(len(frac))
    frac = np.interp(k, k[known], frac[known]).astype(np.float32)
    bite = up + frac[:, None] * (lo - up)                      # [N, 2] the upper row's edge
    cover = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(cover, [np.round(np.concatenate([up, bite[::-1]]) * 16).astype(np.int32)], 255,
                 lineType=cv2.LINE_AA, shift=4)
    cover = cv2.GaussianBlur(cover.astype(np.float32) / 255.0, (0, 0), FEATHER_PX)
    return OwnTeeth(origin, rgb, cover)


def draw_own_teeth(img: np.ndarray, teeth: OwnTeeth, skull_src: np.ndarray) -> None:
    """In place on img ([h, w, 3] float32, the painted interior of a crop of the frame): lay the
    source's upper teeth over it. skull_src: [h, w, 2] float32 px, the source point each pixel
    shows when carried by the skull."""
    mx = np.ascontiguousarray(skull_src[..., 0] - teeth.origin[0])
    my = np.ascontiguousarray(skull_src[..., 1] - teeth.origin[1])
    cover = cv2.remap(teeth.cover, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if cover.any():
        colour = cv2.remap(teeth.rgb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        img += (colour - img) * cover[..., None]
