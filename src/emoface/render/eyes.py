"""The eyeball behind the lids: what a widening eye shows where the portrait's lids hid it.

The warp can only show source pixels. When a lid lifts beyond where it was (surprise, fear:
AU5), the mesh stretches the little that was visible, and a narrow eye turns into a dark arch:
its iris and lash line stretched to fill the new opening. A real lid slides over an eyeball that
does not stretch. So inside each lid opening this module redraws the eye as a rigid eyeball:
  - the source's own eye, moved with the eye (a similarity from the corners, the iris following
    its centre), wherever that part of the eyeball was visible in the source and not right under
    a lid that has since moved away (its lash line and shadow would otherwise stay behind);
  - elsewhere, a painted eyeball: the iris disc continued in the iris's own colour (measured
    on the sliver the lids show, however thin) with a soft edge, a darker rim and radial
    fibres, the white of the eye in the colour the portrait shows (or, if it shows none, a
    shaded grey lit like the skin next to the eye) darkening towards the corners, under the
    soft shadow of the lids.
An unmoved eye is redrawn from itself at the same place, so an unedited face is unchanged.

Convention: points are (x, y) px, y down; images RGB uint8 [H, W, 3].
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..rig.regions import smoothstep
from .control_mesh import EYE_LOOPS, iris_radius_px

LASH_SHARE = 0.3        # source pixels this close to a lid (x iris radius) belong to the lid margin
FEATHER_SHARE = 0.3     # the source/painted seam blends over this (x iris radius, at least 1 px)
IRIS_FOLLOW = (1.2, 1.8)  # within the first iris radii the map follows the iris; beyond the second, the corners
LID_SHADOW = (0.2, 0.45)  # the lids darken the painted eyeball by up to this share, fading over this (x iris radius)
LASH_SHADOW = (0.3, 0.12)  # and right under the upper lid's lashes, by this much more over this
SEAM_LIMIT = (40.0, 25.0)  # grey levels the painted iris / white may shift to meet the source's
SCLERA_MIN_LUMA = 0.75  # a measured white darker than this x the skin's is lid or shadow, not sclera
SCLERA_MAX_CHROMA = 0.6  # nor one as colourful as the skin (more than this x its chroma): that is skin
SCLERA_LIGHT = 1.2      # an unseen white is this much lighter than the skin beside the eye (luma)
PUPIL_SHARE = 0.38      # pupil radius, x iris radius
PUPIL_DARKEN = 0.8      # the pupil is this much darker than the iris
RIM_DARKEN = 0.35       # the iris's outer rim is this much darker
LIMBUS_SHARE = 0.08     # the iris's edge blends into the white over this (x iris radius, at least 1 px)
FIBRE_CONTRAST = 0.14   # the radial fibres lighten / darken the iris by up to about this share
IRIS_FIBRES = ((11, 0.4), (17, 2.3), (26, 4.1), (37, 1.2), (49, 5.5), (63, 3.3))  # (strands per turn, phase rad)
SCLERA_FALLOFF = (1.3, 2.8, 0.2)  # the white darkens from .. to .. iris radii out, by up to this share
MARGIN = 3              # px around an eye's bounding box
STILL_PX = 0.05         # an eye whose lids and iris moved less than this (px) is left as warped
LUMA = np.array([0.299, 0.587, 0.114], np.float32)   # RGB -> luma weights (Rec. 601)


@dataclass(frozen=True)
class EyeSource:
    """One eye of the source image, measured once.

    iris_id: the iris centre landmark; loop: the lid contour's landmarks (control_mesh.EYE_LOOPS);
    origin: [2] px, top-left of the box the signed distance covers; signed_distance: [h, w]
    float32 px to the source's lid contour (positive inside the opening); upper_distance: [h, w]
    float32 px to its upper lid; iris_centre: [2] px;
    iris_radius: px; iris, sclera: RGB float32 [3]."""

    iris_id: int
    loop: tuple
    origin: np.ndarray
    signed_distance: np.ndarray
    upper_distance: np.ndarray
    iris_centre: np.ndarray
    iris_radius: float
    iris: np.ndarray
    sclera: np.ndarray

    @property
    def lash_px(self) -> float:
        """Source pixels this close to a lid belong to its margin (`_lash_px`)."""
        return _lash_px(self.iris_radius)

    @property
    def soft_px(self) -> float:
        """The source/painted seam's blend width (FEATHER_SHARE, at least 1 px)."""
        return max(1.0, FEATHER_SHARE * self.iris_radius)


def _lash_px(iris_radius: float) -> float:
    """px from a lid within which the source shows the lid's margin (LASH_SHARE, at least 1.5 px)."""
    return max(1.5, LASH_SHARE * iris_radius)


def _polygon_signed_distance(polygon: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """[h, w] float32 signed distance (px, + inside) to polygon [K, 2] px, on the box at (x0, y0)."""
    mask = np.zeros((h, w), np.uint8)
    pts = np.round((polygon - (x0, y0)) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=4)
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 3)
    return (inside - outside + np.where(mask > 0, -0.5, 0.5)).astype(np.float32)


def _box(points: np.ndarray, pad: float, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    h, w = shape
    x0, y0 = np.floor(points.min(0) - pad).astype(int)
    x1, y1 = np.ceil(points.max(0) + pad).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    return None if x1 - x0 < 3 or y1 - y0 < 3 else (x0, y0, x1, y1)


def _chroma(rgb: np.ndarray) -> float:
    """(max - min) / max of an RGB colour [3]: 0 for a grey."""
    return float((rgb.max() - rgb.min()) / max(float(rgb.max()), 1.0))


def _colours(image: np.ndarray, sd: np.ndarray, x0: int, y0: int, centre: np.ndarray,
             radius: float, lash: float) -> tuple[np.ndarray, np.ndarray]:
    """(iris, sclera) RGB float32 [3] from the open eye; a shaded grey for a sclera it hides."""
    h, w = sd.shape
    crop = image[y0:y0 + h, x0:x0 + w].reshape(-1, 3).astype(np.float32)
    yy, xx = np.mgrid[y0:y0 + h, x0:x0 + w]
    r = np.hypot(xx - centre[0], yy - centre[1]).ravel() / max(radius, 1e-6)
    sd = sd.ravel()
    luma = crop @ LUMA

    iris = np.array([60.0, 45.0, 35.0], np.float32)   # a brown, if the lids hide the iris entirely
    for clear in (lash, 0.5 * lash, 0.5):   # clear of the lid margin if enough shows, else nearer it
        iris_px = (sd >= clear) & (r > PUPIL_SHARE) & (r < 0.9)
        if iris_px.sum() >= 5:
            keep = iris_px & (luma <= np.percentile(luma[iris_px], 85))   # no catch-light
            iris = np.median(crop[keep], axis=0)
            break

    skin = (sd < -2.0 * lash) & (sd > -6.0 * lash)
    tone = np.median(crop[skin], axis=0) if skin.any() else np.full(3, 170.0, np.float32)
    tone_luma = float(tone @ LUMA)
    # a white in the skin's light, a little warm
    sclera = np.minimum(0.7 * SCLERA_LIGHT * tone_luma + 0.3 * tone, 235.0)
    white = (sd >= 0.5 * lash) & (r > 1.15)
    if white.sum() >= 8:
        keep = white & (luma >= np.median(luma[white]))
        seen = np.median(crop[keep], axis=0)
        if (float(np.median(luma[keep])) >= SCLERA_MIN_LUMA * tone_luma
                and _chroma(seen) <= SCLERA_MAX_CHROMA * _chroma(tone)):
            sclera = seen
    return iris.astype(np.float32), np.asarray(sclera, np.float32)


def measure_eyes(image: np.ndarray, landmarks_px: np.ndarray) -> tuple[EyeSource, ...]:
    """Both eyes of a source image (RGB uint8 [H, W, 3], landmarks [478, >=2] px); an eye whose
    box falls off the image is left out (and so never redrawn)."""
    eyes = []
    for e, (centre_id, loop) in enumerate(EYE_LOOPS):
        poly = landmarks_px[list(loop), :2].astype(np.float64)
        centre = landmarks_px[centre_id, :2].astype(np.float64)
        radius = iris_radius_px(landmarks_px, e)
        width = float(np.linalg.norm(poly[8] - poly[0]))
        box = _box(poly, MARGIN + 0.6 * width, image.shape[:2])
        if box is None or radius < 1.0:
            continue
        x0, y0, x1, y1 = box
        sd = _polygon_signed_distance(poly, x0, y0, x1 - x0, y1 - y0)
        iris, sclera = _colours(image, sd, x0, y0, centre, radius, _lash_px(radius))
        eyes.append(EyeSource(centre_id, tuple(loop), np.array([x0, y0], np.float64), sd,
                              _distance_to_line(poly[:9], x0, y0, x1 - x0, y1 - y0), centre, radius, iris, sclera))
    return tuple(eyes)


def paint_eyes(frame: np.ndarray, image: np.ndarray, eyes, landmarks_src: np.ndarray,
               landmarks_dst: np.ndarray) -> None:
    """In place on frame (RGB uint8 [H, W, 3], the warp of `image` to landmarks_dst [478, >=2]
    px): redraw each lid opening as the rigid eyeball described above. eyes: `measure_eyes` of
    image with landmarks_src [478, >=2] px. An eye whose lids and iris did not move is skipped."""
    for eye in eyes:
        ids = list(eye.loop)
        poly_s = landmarks_src[ids, :2].astype(np.float64)
        poly_d = landmarks_dst[ids, :2].astype(np.float64)
        iris_d = landmarks_dst[eye.iris_id, :2].astype(np.float64)
        moved = max(float(np.abs(poly_d - poly_s).max()), float(np.abs(iris_d - eye.iris_centre).max()))
        if moved < STILL_PX:
            continue
        box = _box(poly_d, MARGIN, frame.shape[:2])
        if box is None:
            continue
        x0, y0, x1, y1 = box
        sd_d = _polygon_signed_distance(poly_d, x0, y0, x1 - x0, y1 - y0)
        cover = _coverage(poly_d, x0, y0, x1 - x0, y1 - y0)
        if not cover.any():
            continue
        upper_lid = _distance_to_line(poly_d[:9], x0, y0, x1 - x0, y1 - y0)
        q, scale = _eyeball_map(poly_s, poly_d, iris_d, eye, (x0, y0, x1, y1))
        qx, qy = q[..., 0].astype(np.float32), q[..., 1].astype(np.float32)
        bx, by = qx - np.float32(eye.origin[0]), qy - np.float32(eye.origin[1])   # in the source's box

        seen = cv2.remap(image, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        sd_s = cv2.remap(eye.signed_distance, bx, by, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=-1e3)
        lash, soft = eye.lash_px, eye.soft_px
        keep = np.clip((sd_s - np.minimum(lash, np.maximum(sd_d * scale, 0.0))) / soft + 1.0, 0.0, 1.0)

        # the source's eye already carries its own lids' shadow; move it to the new lids
        upper_s = cv2.remap(eye.upper_distance, bx, by, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        shade = _lid_shade(np.maximum(sd_d, 0.0) * scale, upper_lid * scale, eye.iris_radius)
        relight = shade / _lid_shade(np.maximum(sd_s, 0.0), upper_s, eye.iris_radius)
        seen *= np.clip(relight, 0.5, 1.0)[..., None]        # darken under a nearer lid only
        colour, in_iris = _painted_eyeball(q, eye)
        near = (sd_s >= lash) & (sd_s < lash + 2.0 * soft) & (cover > 0.5)
        painted = _match_seam(colour * shade[..., None], seen, near, in_iris)
        eyeball = keep[..., None] * seen + (1.0 - keep[..., None]) * painted
        region = frame[y0:y1, x0:x1].astype(np.float32)
        frame[y0:y1, x0:x1] = np.clip(cover[..., None] * eyeball + (1.0 - cover[..., None]) * region
                                      + 0.5, 0, 255).astype(np.uint8)


def _eyeball_map(poly_s: np.ndarray, poly_d: np.ndarray, iris_d: np.ndarray, eye: EyeSource,
                 box: tuple[int, int, int, int]) -> tuple[np.ndarray, float]:
    """Where each pixel of the output's box (x0, y0, x1, y1) px sees the source's eyeball ->
    ([h, w, 2] source px, source px per output px): a similarity from the eye corners (poly_s,
    poly_d: [16, 2] px lid loops), its translation following the iris (iris_d: [2] px, the
    output's iris centre) within IRIS_FOLLOW iris radii of it."""
    x0, y0, x1, y1 = box
    a_s, a_d = poly_s[8] - poly_s[0], poly_d[8] - poly_d[0]
    scale = float(np.linalg.norm(a_s) / max(np.linalg.norm(a_d), 1e-6))
    angle = float(np.arctan2(a_s[1], a_s[0]) - np.arctan2(a_d[1], a_d[0]))
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    mid_s, mid_d = 0.5 * (poly_s[0] + poly_s[8]), 0.5 * (poly_d[0] + poly_d[8])
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    q = np.stack([xx - mid_d[0], yy - mid_d[1]], -1) @ rot.T + mid_s
    follow = eye.iris_centre - (rot @ (iris_d - mid_d) + mid_s)
    r_d = np.hypot(xx - iris_d[0], yy - iris_d[1]) * scale / eye.iris_radius
    q += (1.0 - smoothstep(r_d, *IRIS_FOLLOW))[..., None] * follow
    return q, scale


def _lid_shade(lid_distance: np.ndarray, upper_distance: np.ndarray, iris_radius: float) -> np.ndarray:
    """[h, w] float32 light share under the lids: darker near any lid (lid_distance px) and most
    right under the upper lid's lashes (upper_distance px)."""
    return (1.0 - LID_SHADOW[0] * np.exp(-lid_distance / (LID_SHADOW[1] * iris_radius))
            - LASH_SHADOW[0] * np.exp(-upper_distance / (LASH_SHADOW[1] * iris_radius))).astype(np.float32)


def _match_seam(painted: np.ndarray, seen: np.ndarray, seam: np.ndarray, in_iris: np.ndarray) -> np.ndarray:
    """painted [h, w, 3] shifted (iris and white separately) to the source's own colours on the
    seam [h, w] bool (the kept source pixels next to the painted ones), so the join does not show."""
    out = painted
    for part, weight, limit in ((seam & (in_iris > 0.9), in_iris, SEAM_LIMIT[0]),
                                (seam & (in_iris < 0.1), 1.0 - in_iris, SEAM_LIMIT[1])):
        if part.sum() >= 3:
            delta = np.clip(np.median(seen[part] - painted[part], axis=0), -limit, limit)
            out = out + weight[..., None] * delta
    return out


def _coverage(polygon: np.ndarray, x0: int, y0: int, w: int, h: int, ss: int = 4) -> np.ndarray:
    """[h, w] float32 share of each pixel inside polygon [K, 2] px (anti-aliased, ss x ss samples)."""
    mask = np.zeros((h * ss, w * ss), np.uint8)
    pts = np.round(((polygon - (x0, y0)) * ss + 0.5 * (ss - 1)) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_8, shift=4)
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _distance_to_line(points: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """[h, w] float32 px from each pixel to the polyline through points [K, 2] px."""
    line = np.full((h, w), 255, np.uint8)
    cv2.polylines(line, [np.round((points - (x0, y0)) * 16).astype(np.int32)], False, 0, 1, cv2.LINE_8, 4)
    return cv2.distanceTransform(line, cv2.DIST_L2, 3)


def _painted_eyeball(q: np.ndarray, eye: EyeSource) -> tuple[np.ndarray, np.ndarray]:
    """The unlit eyeball at source points q [h, w, 2] px -> (RGB [h, w, 3] float, [h, w] share
    of each pixel on the iris).

    The iris: a soft-edged disc (the limbus blends over LIMBUS_SHARE) with a lighter ring round
    the pupil, a darker rim and radial fibres (IRIS_FIBRES, fixed in eyeball coordinates so they
    turn with the eye and hold still from frame to frame); the white darkens towards the corners,
    where the ball curves away from the light (SCLERA_FALLOFF)."""
    dx, dy = q[..., 0] - eye.iris_centre[0], q[..., 1] - eye.iris_centre[1]
    r = np.hypot(dx, dy) / eye.iris_radius
    px = 1.0 / eye.iris_radius                                   # one pixel, in iris radii
    in_iris = np.clip((1.0 - r) / max(px, LIMBUS_SHARE) + 0.5, 0.0, 1.0)
    iris_shade = 1.0 + 0.15 * (1.0 - smoothstep(r, 0.4, 0.7)) - RIM_DARKEN * smoothstep(r, 0.7, 1.0)
    iris_shade = iris_shade * (1.0 + FIBRE_CONTRAST * _fibres(np.arctan2(dy, dx), r))
    pupil = np.clip((PUPIL_SHARE - r) / max(px, 0.5 * LIMBUS_SHARE) + 0.5, 0.0, 1.0)
    iris_shade = iris_shade * (1.0 - PUPIL_DARKEN * pupil)
    start, end, darken = SCLERA_FALLOFF
    white_shade = 1.0 - darken * smoothstep(r, start, end)
    colour = (in_iris * iris_shade)[..., None] * eye.iris + ((1.0 - in_iris) * white_shade)[..., None] * eye.sclera
    return colour, in_iris


def _fibres(theta: np.ndarray, r: np.ndarray) -> np.ndarray:
    """[h, w] in about [-1, 1]: the iris's radial fibre pattern at angle theta (rad) and radius
    r (iris radii), its strands wavering a little with r and fading at the pupil and the rim."""
    bent = theta + 0.012 * np.sin(5.0 * np.pi * r)
    strands = sum(np.sin(k * bent + phase) for k, phase in IRIS_FIBRES) * np.sqrt(2.0 / len(IRIS_FIBRES))
    return strands * smoothstep(r, PUPIL_SHARE, PUPIL_SHARE + 0.12) * (1.0 - smoothstep(r, 0.8, 1.0))
