"""Mouth interior for lips parted wider than in the source: cavity, teeth, tongue, shading.

Where the source mouth was closed, the warp can only stretch the lip line across the opening,
so the inside is painted. Where the source mouth was open (a frame grabbed mid-word), its own
teeth and tongue would be squeezed or stretched by any change, so the inside is painted whenever
the lips move (all but its own upper teeth, which move with the skull: `own_teeth`), the lips
are textured from their real edges rather than from MediaPipe's inner points (which often lie
on the teeth), and a thin seam is drawn where the closed lips meet.
The painting: a dark cavity, the upper teeth hanging from the upper lip, the lower
teeth and tongue rising from the lower lip (visible as the jaw opens), each tooth a rounded crown
(notched biting edge, face darkening towards its seams) rather than a flat white slab, the row
receding into the cheeks' shadow towards the corners (each half of the row as wide as that
half of the mouth: a turned head shows its near half wider), soft shading under the upper
lip, all inside an anti-aliased lip polygon. Colours are taken from
the person's own lips and skin so a sepia photo or a painting gets matching tones.

Convention: landmarks are px (x, y), y down; images are float32 RGB in [0, 1].
"""
from __future__ import annotations

import cv2
import numpy as np

from ..analyze import topology as topo
from ..rig.regions import smoothstep
from .own_teeth import OwnTeeth, draw_own_teeth, sample_points

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
# upper incisor showing below the relaxed upper lip (~4.4 mm: the upper end of the ~2-4 mm shown
# at rest, as speech lifts the lip). With 0.14 (~3 mm), small openings showed a dark slit between
# the upper and lower teeth, which dlib's 68-point model took for the lips' gap in some frames and
# not in others: bench/lipsync.py's AOC mouth curves of one performance under three head-motion
# seeds agreed only at r 0.60-0.76; at 0.2 they agree at 0.88-0.92 (and May's at 0.98).
UPPER_SHOW = 0.20
UPPER_LENGTH = 0.42        # crown height of the upper incisors (~9-10 mm)
OVERBITE = 0.08            # the lower incisal edge rests this far above the upper one, behind it
LOWER_LENGTH = 0.24        # visible part; the lower lip hides the rest
TEETH_BOUNCE = 0.3         # share of the tongue's colour that shaded lower teeth reflect
TONGUE_RISE = 0.35         # the tongue's back shows above the lower teeth by this share of the jaw's drop
# interdental seams from the midline outwards (central incisor, lateral, canine, premolar),
# foreshortened towards the corners, and how dark each seam is
TOOTH_SEAMS = ((0.0, 0.22), (0.30, 0.18), (0.52, 0.14), (0.70, 0.10), (0.84, 0.06))
LOWER_SEAMS = ((0.0, 0.12), (0.20, 0.10), (0.42, 0.08), (0.62, 0.06))
# each tooth is a rounded crown, not a slab: its biting edge curves up into a small notch at the
# seams (NOTCH, of the half-width, over the outer NOTCH_SPAN of each side of the tooth) and its
# face darkens towards the seams (ROUNDING); beyond CORRIDOR_START the row recedes into the
# cheeks' shadow (the buccal corridor), the teeth fading into the cavity by CORRIDOR_FADE at the
# corners
NOTCH = 0.035
NOTCH_SPAN = 0.45
ROUNDING = 0.22
# a row's rounding and notches fade out when its central tooth is narrower than DETAIL_PX[1] on
# the image and are gone below DETAIL_PX[0]: at a small face a tooth of 2-4 px, darker at both
# sides and with its edge curving up at each seam, reads as a row of beads where only its biting
# edge shows above the lower lip (the seams stay: they keep a wider row readable as teeth)
DETAIL_PX = (3.0, 8.0)
CORRIDOR_START = 0.6
CORRIDOR_FADE = 0.65
SIDE_RATIO_MAX = 1.6       # one side's half-width at most this x the mean (a misplaced corner point)


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


def tooth_detail(seams, half_px: float) -> float:
    """0..1: how much of a row's rounding and notches to draw, from the width (px) of its
    central tooth at a mouth half-width of half_px (`DETAIL_PX`)."""
    return float(smoothstep((seams[1][0] - seams[0][0]) * half_px, *DETAIL_PX))


def tooth_crowns(ax: np.ndarray, seams, detail: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel sits on its tooth -> (notch, shade), both shaped like ax [...].

    ax: |x| across the mouth in half-widths (0 = midline); seams: ((position, darkness), ...)
    from the midline out, the last tooth reaching the corner (1). notch: 0..1, how far the biting
    edge curves away (1 at a seam, 0 over the tooth's middle); shade: brightness of the tooth's
    rounded face (1 in its middle, 1 - ROUNDING at its sides). detail (0..1, `tooth_detail`)
    scales both: 0 draws a plain row."""
    edges = np.array([pos for pos, _ in seams] + [1.0], np.float32)
    k = np.clip(np.searchsorted(edges, ax, side="right") - 1, 0, len(edges) - 2)
    lo, hi = edges[k], edges[k + 1]
    side = np.abs(2.0 * (ax - lo) / np.maximum(hi - lo, 1e-6) - 1.0)   # 0 middle, 1 at a seam
    notch = np.clip((side - (1.0 - NOTCH_SPAN)) / NOTCH_SPAN, 0.0, 1.0) ** 2
    return detail * notch, 1.0 - detail * ROUNDING * side ** 4


def _curve(x_query: np.ndarray, pts_x: np.ndarray, pts_y: np.ndarray) -> np.ndarray:
    order = np.argsort(pts_x)
    return np.interp(x_query, pts_x[order], pts_y[order])


def paint_mouth_interior(frame: np.ndarray, palette: dict[str, np.ndarray], landmarks_src: np.ndarray,
                         landmarks_dst: np.ndarray, down: np.ndarray, open_source: float = 0.0,
                         lip_texture: np.ndarray | None = None, own_teeth: OwnTeeth | None = None) -> None:
    """In place on `frame` (RGB uint8 [H, W, 3]): paint the interior where the lips part more
    than in the source. palette: from `mouth_palette`; landmarks_*: [478, >=2] px;
    down: the face's down unit vector [>=2].

    The teeth are anchored to the bones, not to the lips: the upper row to the skull (its edge
    shows ~2 mm below the relaxed upper lip, so raising the upper lip bares more of it and a
    jaw drop does not), the lower row to the mandible (it follows the chin down, half hidden by
    the lower lip). The tongue lies behind the lower teeth; the cavity, the teeth and the tongue
    all darken towards the mouth corners (the buccal corridor) and under the upper lip.

    open_source: 0..1, for a portrait whose own mouth is open (`source_mouth_open`): how much of
    the interior to draw whatever the opening (1 once the lips moved at all: the source's own
    teeth and tongue are never squeezed or stretched into the new opening); the lower teeth then
    drop with the opening rather than with the chin, and the upper ones hang from the upper lip's
    real edge, lip_texture [468, 2] px (`lip_texture_points`), rather than from its landmark;
    and own_teeth (`own_teeth.measure_own_teeth`), where given, lays the portrait's own upper
    teeth, carried by the skull, over the painted ones.
    """
    gap_src = topo.inner_lip_gap_px(landmarks_src, down)
    gap_dst = topo.inner_lip_gap_px(landmarks_dst, down)
    width = topo.inner_mouth_width_px(landmarks_dst)
    if open_source > 0.0:
        reveal = float(open_source)
    else:
        # how much of the opening is new: 0 = as open as the source (keep its real interior)
        reveal = np.clip((gap_dst - gap_src) / max(gap_src, 0.04 * width, 1.0), 0.0, 1.0)
    if reveal <= 0.0 or gap_dst < 0.25 or width < 2.0:
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
    basis = np.stack([axis, normal], 1)                 # -> (px along the mouth, px down)
    # each side's half-width: a turned head shows its near half wider (perspective), and the
    # teeth reach that far on that side, not the mean (which left a dark gap at the near corner)
    sides = np.abs((sc - centre) @ axis)
    sides = half * np.clip(2.0 * sides / max(float(sides.sum()), 1e-6), 1.0 / SIDE_RATIO_MAX, SIDE_RATIO_MAX)

    def in_mouth(points_src: np.ndarray) -> np.ndarray:
        """Source-frame px [..., 2] -> (x in its side's half-widths, v in px down)."""
        m = (points_src - centre) @ basis
        m[..., 0] /= np.where(m[..., 0] < 0.0, sides[0], sides[1])
        return m

    def to_mouth(points_dst: np.ndarray) -> np.ndarray:
        """Px [..., 2] of the frame being drawn -> `in_mouth` of the source point the skull carries there."""
        return in_mouth(points_dst @ a.T + t)

    py, px = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    pixel_src = np.stack([px, py], -1) @ a.T + t          # [h, w, 2] the source point the skull carries here
    grid = in_mouth(pixel_src)
    x, v = grid[..., 0], grid[..., 1]
    ax = np.abs(x)
    up_dst = to_mouth(dst2[list(topo.LIPS_UPPER_INNER)])
    lo_dst = to_mouth(dst2[list(topo.LIPS_LOWER_INNER)])
    upper_src = src2[list(topo.LIPS_UPPER_INNER)] if lip_texture is None else lip_texture[list(topo.LIPS_UPPER_INNER)]
    up_src = in_mouth(upper_src)
    upper_lip = _curve(x, up_dst[:, 0], up_dst[:, 1])     # v of the lip edges at each pixel's x
    lower_lip = _curve(x, lo_dst[:, 0], lo_dst[:, 1])
    relaxed_upper = _curve(x, up_src[:, 0], up_src[:, 1])
    if open_source > 0.0:   # the source's jaw is already down: the teeth follow the opening
        jaw_v = JAW_TO_INCISORS * float(np.median(lo_dst[3:-3, 1] - up_dst[3:-3, 1]))
    else:
        jaw = (to_mouth(dst2[list(JAW_POINTS)]) - in_mouth(src2[list(JAW_POINTS)])).mean(0)
        jaw_v = JAW_TO_INCISORS * float(jaw[1])
    # bone-anchored tooth lines (v, px): upper incisal edge curves up towards the corners
    detail_u, detail_l = tooth_detail(TOOTH_SEAMS, half), tooth_detail(LOWER_SEAMS, half)
    notch_u, crown_u = tooth_crowns(ax, TOOTH_SEAMS, detail_u)
    notch_l, crown_l = tooth_crowns(ax, LOWER_SEAMS, detail_l)
    row_u = relaxed_upper + half * UPPER_SHOW * (1.0 - 0.6 * ax ** 2)
    gum_u = row_u - half * UPPER_LENGTH * (1.0 - 0.2 * ax ** 2)
    edge_u = row_u - half * NOTCH * notch_u
    row_l = row_u - half * OVERBITE + jaw_v
    edge_l = row_l + half * NOTCH * notch_l
    foot_l = row_l + half * LOWER_LENGTH
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
    # tongue: a rounded hump resting behind the lower teeth, lit on its front; the lower teeth go
    # down with the jaw and the tongue's back less so, so it shows above them in a wide mouth
    hump = np.sqrt(np.clip(1.0 - (x / 0.9) ** 2, 0, 1))
    tongue_top = row_l - (0.12 * half + TONGUE_RISE * max(jaw_v, 0.0)) * hump
    tongue = np.clip((v - tongue_top) / 1.0, 0, 1) * hump
    lit = 0.5 + 0.5 * np.clip((v - tongue_top) / max(0.25 * half, 1.0), 0, 1)
    img += (c["tongue"] * lit[..., None] - img) * tongue[..., None]
    # tooth shading: corners recede into shadow; seams between the teeth
    arch_light = np.clip(1.0 - 0.6 * ax ** 2.2, 0.2, 1.0)
    corridor = 1.0 - CORRIDOR_FADE * smoothstep(ax, CORRIDOR_START, 1.0)
    def seams(table):
        out = np.ones_like(ax)
        for pos, strength in table:
            out -= strength * (1.0 - np.clip(np.abs(ax - pos) * half / max(0.012 * half, 0.6), 0, 1))
        return out
    lip_shadow = 0.6 + 0.4 * np.clip(below_upper / max(0.12 * half, 1.0), 0, 1)
    # lower teeth (behind the upper row, narrower arch, in the upper lip's and teeth's shadow)
    lower_t = inside(edge_l, foot_l) * np.clip((0.75 - ax) / 0.15, 0, 1) * corridor
    down_shadow = 0.8 - 0.3 * np.clip((v - row_l) / max(0.2 * half, 1.0), 0, 1)
    lower_shade = arch_light * seams(LOWER_SEAMS) * crown_l * down_shadow * (0.75 + 0.25 * lip_shadow)
    # in the mouth's shade teeth take on its warm light, not grey (a grey row reads green beside red lips)
    lower_colour = c["teeth"] * lower_shade[..., None] + TEETH_BOUNCE * c["tongue"] * (1.0 - lower_shade)[..., None]
    img += (lower_colour - img) * lower_t[..., None]
    # upper teeth, and the gum above them if the lip is raised that far
    upper_t = inside(gum_u, edge_u) * np.clip((1.02 - ax) / 0.1, 0, 1) * corridor
    edge_tint = 1.0 - 0.12 * np.clip((v - row_u) / max(0.08 * half, 1.0) + 1.0, 0, 1)
    upper_shade = arch_light * seams(TOOTH_SEAMS) * crown_u * lip_shadow * edge_tint
    img += (c["teeth"] * upper_shade[..., None] - img) * upper_t[..., None]
    gum = np.clip((gum_u - v) / 0.8 + 0.5, 0, 1) * np.clip((1.0 - ax) / 0.1, 0, 1)
    img += (c["tongue"] * (0.8 * arch_light * lip_shadow)[..., None] - img) * gum[..., None]
    if own_teeth is not None and open_source > 0.0:
        draw_own_teeth(img, own_teeth, pixel_src.astype(np.float32))
    region = frame[y0:y1, x0:x1].astype(np.float32) / 255.0
    a_px = cv2.GaussianBlur(alpha, (3, 3), 0.6)[..., None]
    blended = region * (1 - a_px) + img * a_px
    frame[y0:y1, x0:x1] = np.clip(blended * 255.0 + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- open-mouth sources
# A portrait grabbed mid-word shows its own teeth and tongue, and MediaPipe's inner-lip points
# often sit on the teeth rather than at the lip's edge. To close such a mouth, the lips are
# textured from where the lip really ends (found in the image), and the interior is always drawn.
OPEN_GAP_FRACTION = 0.04     # a source gap above this share of the mouth width counts as open
OPEN_GAP_MIN_PX = 1.5
EDGE_SEARCH_OUTER = 0.8      # the lip's real edge is looked for from here (inner -> outer edge)
LIP_MIN_CHROMA = 6.0         # lips greyer than this (Lab a*b* radius) cannot be told from teeth
TEETH_CHROMA_SHARE = 0.55    # teeth: less than this share of the lips' chroma ...
TEETH_LIGHTER_BY = 5.0       # ... and lighter than most of the lip (its 75th percentile) by this (L*)
LIP_EDGE_SMOOTH_PX = 0.75
LIP_EDGE_MARGIN_PX = 1.0     # the found edge moves this much further into the lip (blurred rims)
CHANGE_START_PX, CHANGE_FULL_PX = 0.25, 1.25   # lip motion over which the drawn interior fades in
SEAM_ALPHA = 0.35            # darkness of the line where closed lips meet (of the cavity colour)
SEAM_WIDTH = 0.012           # its width, of the mouth's width (at least 1 px)
SEAM_FADE = 0.05             # it fades out as the lips part by this share of the mouth's width


def source_mouth_open(landmarks: np.ndarray, down: np.ndarray) -> bool:
    """Whether the portrait's own lips are parted (its interior shows). landmarks: [478, >=2] px."""
    width = topo.inner_mouth_width_px(landmarks)
    gap = topo.inner_lip_gap_px(landmarks, down)
    return gap > max(OPEN_GAP_MIN_PX, OPEN_GAP_FRACTION * width)


def lip_edges(image: np.ndarray, landmarks: np.ndarray, lip_rings: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Where the upper and the lower lip really end on each lip column of an open mouth.

    image: RGB uint8 [H, W, 3]; landmarks: [478, >=2] px; lip_rings: (upper rings, lower rings),
    each inner -> outer ring, corner to corner (`analyze.topology.UPPER_LIP_RINGS`, ...).
    Returns (upper [11, 2], lower [11, 2]) px. MediaPipe's inner-lip points on an open mouth
    often lie on the teeth, a few px inside the lip's real edge; squeezed shut, those teeth
    would show as a white line in the lip. Walking each column from inside the lip
    (EDGE_SEARCH_OUTER of the way from its inner to its outer point) towards the opposite lip,
    the edge is where the first tooth-coloured pixel is (lighter than most of the lip and much
    less saturated, Lab), if that comes before the landmark; otherwise the landmark stays (a dark
    cavity next to the lip passes for the lip's shadowed edge). Lips too grey to tell from teeth
    keep all their landmarks.
    """
    upper_rings, lower_rings = lip_rings
    pts = landmarks[:, :2].astype(np.float64)
    ui, uo = pts[list(upper_rings[0])], pts[list(upper_rings[-1])]
    li, lo = pts[list(lower_rings[0])], pts[list(lower_rings[-1])]
    allp = np.concatenate([uo, lo])
    x0, y0 = np.floor(allp.min(0)).astype(int) - 2
    x1, y1 = np.ceil(allp.max(0)).astype(int) + 3
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return ui, li
    origin = np.array([x0, y0], np.float64)
    lab = cv2.cvtColor(image[y0:y1, x0:x1].astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ks = slice(2, -2)
    t = np.linspace(0.45, 0.9, 8)[:, None, None]
    lip = sample_points(lab, np.concatenate([(ui[ks] + t * (uo[ks] - ui[ks])).reshape(-1, 2),
                                             (li[ks] + t * (lo[ks] - li[ks])).reshape(-1, 2)]) - origin)
    chroma = float(np.median(np.hypot(lip[:, 1], lip[:, 2])))
    if chroma < LIP_MIN_CHROMA:
        return ui, li
    light = float(np.percentile(lip[:, 0], 75)) + TEETH_LIGHTER_BY
    grey = TEETH_CHROMA_SHARE * chroma

    def toothness(points):
        v = sample_points(lab, points - origin)
        return (np.clip((v[:, 0] - light) / 6.0 + 0.5, 0, 1)
                * np.clip((grey - np.hypot(v[:, 1], v[:, 2])) / 4.0 + 0.5, 0, 1))

    def refine(inner, outer, opposite):
        out = inner.copy()
        for k in range(1, len(inner) - 1):
            start = inner[k] + EDGE_SEARCH_OUTER * (outer[k] - inner[k])
            length = float(np.linalg.norm(inner[k] - start))
            if length < 2.0:
                continue
            n = int(np.ceil(length * 2)) + 1                      # half-pixel steps, start -> landmark
            s = np.linspace(0.0, 1.0, n)
            score = cv2.GaussianBlur(toothness(start + s[:, None] * (inner[k] - start)).reshape(-1, 1).astype(np.float32),
                                     (1, 0), 2 * LIP_EDGE_SMOOTH_PX, borderType=cv2.BORDER_REPLICATE).ravel()
            hits = np.flatnonzero(score >= 0.5)
            if len(hits) == 0 or hits[0] == 0:
                continue
            i = int(hits[0])
            frac = (i - 1 + (0.5 - score[i - 1]) / max(score[i] - score[i - 1], 1e-6)) / (n - 1)
            frac = max(frac - LIP_EDGE_MARGIN_PX / length, 0.0)
            out[k] = start + frac * (inner[k] - start)
        return out

    return refine(ui, uo, li), refine(li, lo, ui)


def lip_texture_points(landmarks: np.ndarray, upper_edge: np.ndarray, lower_edge: np.ndarray,
                       lip_rings: tuple) -> np.ndarray:
    """[468, 2] px: the face mesh's source points with each lip squeezed, column by column, to
    begin at its real edge (`lip_edges`) instead of its inner landmark: a point a share f of the
    way from the inner to the outer ring moves by (1 - f) of the edge's correction."""
    out = landmarks[:468, :2].astype(np.float32).copy()
    for rings, edge in zip(lip_rings, (upper_edge, lower_edge)):
        inner, outer = np.asarray(rings[0]), np.asarray(rings[-1])
        shift = edge - landmarks[inner, :2]
        for ring in rings[:-1]:
            for k in range(1, len(ring) - 1):
                i, o, v = inner[k], outer[k], ring[k]
                span = landmarks[o, :2] - landmarks[i, :2]
                f = float(np.clip((landmarks[v, :2] - landmarks[i, :2]) @ span / max(float(span @ span), 1e-9), 0, 1))
                out[v] = landmarks[v, :2] + (1.0 - f) * shift[k]
    return out


def lip_change(landmarks_src: np.ndarray, landmarks_dst: np.ndarray, lip_points) -> float:
    """0..1: how far the lips moved from the source's, head motion aside (0 below
    CHANGE_START_PX, 1 from CHANGE_FULL_PX of the largest lip point's motion)."""
    src2 = landmarks_src[:, :2].astype(np.float32)
    dst2 = landmarks_dst[:, :2].astype(np.float32)
    a, t = _similarity(src2[list(SKULL_POINTS)], dst2[list(SKULL_POINTS)])
    lips = list(lip_points)
    moved = float(np.abs(dst2[lips] - (src2[lips] @ a.T + t)).max())
    return float(np.clip((moved - CHANGE_START_PX) / (CHANGE_FULL_PX - CHANGE_START_PX), 0.0, 1.0))


def paint_lip_seam(frame: np.ndarray, palette: dict[str, np.ndarray], landmarks_dst: np.ndarray,
                   down: np.ndarray, strength: float) -> None:
    """In place on `frame` (RGB uint8): the thin shadow where closed lips press together, drawn
    along the middle of the inner lip contours and fading out as they part (the opening then
    shows the cavity). For open-mouth portraits closed by the rig, which have no seam of their
    own to warp. strength: 0..1 (`lip_change`); landmarks_dst: [478, >=2] px."""
    width = topo.inner_mouth_width_px(landmarks_dst)
    gap = topo.inner_lip_gap_px(landmarks_dst, down)
    alpha = SEAM_ALPHA * strength * float(np.clip(1.0 - gap / max(SEAM_FADE * width, 2.0), 0.0, 1.0))
    if alpha <= 0.01 or width < 4.0:
        return
    line = 0.5 * (landmarks_dst[list(topo.LIPS_UPPER_INNER), :2] + landmarks_dst[list(topo.LIPS_LOWER_INNER), :2])
    h, w = frame.shape[:2]
    x0, y0 = np.maximum(np.floor(line.min(0)).astype(int) - 3, 0)
    x1, y1 = np.minimum(np.ceil(line.max(0)).astype(int) + 4, [w, h])
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    pts = np.round((line - [x0, y0]) * (1 << AA_SHIFT)).astype(np.int32)
    cv2.polylines(mask, [pts], False, 255, max(1, int(round(SEAM_WIDTH * width))), cv2.LINE_AA, AA_SHIFT)
    a = (mask.astype(np.float32) / 255.0 * alpha)[..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32) / 255.0
    out = region * (1.0 - a) + palette["cavity"] * a
    frame[y0:y1, x0:x1] = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _mouth_crop(image: np.ndarray, landmarks: np.ndarray):
    """The lips' surroundings -> (rgb [h, w, 3] float32, lab, in_mouth [h, w] bool inside the
    inner lips, in_lips [h, w] bool on the lips' red), or None for a mouth too small to read."""
    outer = np.concatenate([landmarks[list(topo.LIPS_UPPER_OUTER), :2],
                            landmarks[list(topo.LIPS_LOWER_OUTER[1:-1]), :2][::-1]]).astype(np.float32)
    inner = inner_lip_polygon(landmarks)
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(outer.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(outer.max(0)).astype(int) + 1, [w, h])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    origin = np.array([x0, y0], np.float32)
    in_mouth = _polygon_mask(inner, origin, (y1 - y0, x1 - x0)) > 0.99
    in_lips = (_polygon_mask(outer, origin, (y1 - y0, x1 - x0)) > 0.99) & ~cv2.dilate(
        in_mouth.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if in_mouth.sum() < 12 or in_lips.sum() < 12:
        return None
    rgb = image[y0:y1, x0:x1].astype(np.float32) / 255.0
    return rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB), in_mouth, in_lips


def tooth_rule(lips_lab: np.ndarray):
    """Lab samples of the lips [n, 3] -> is_tooth(Lab [..., 3]) -> bool [...]: lighter than most
    of the lip (its 75th percentile) by TEETH_LIGHTER_BY and, where the lips have colour (chroma
    >= LIP_MIN_CHROMA), less than TEETH_CHROMA_SHARE of their chroma (the rule of `lip_edges`)."""
    light = float(np.percentile(lips_lab[:, 0], 75)) + TEETH_LIGHTER_BY
    lip_chroma = float(np.median(np.hypot(lips_lab[:, 1], lips_lab[:, 2])))

    def is_tooth(lab: np.ndarray) -> np.ndarray:
        tooth = lab[..., 0] > light
        if lip_chroma >= LIP_MIN_CHROMA:
            tooth &= np.hypot(lab[..., 1], lab[..., 2]) < TEETH_CHROMA_SHARE * lip_chroma
        return tooth
    return is_tooth


def own_teeth_reading(image: np.ndarray, landmarks: np.ndarray):
    """What an open-mouth portrait's own teeth look like, from one crop of its mouth ->
    (colour, is_tooth), each None where the mouth is too small to read; colour is also None
    where it shows too few teeth.

    is_tooth: `tooth_rule` for this portrait's lips. colour: float32 RGB [3], the lightest
    quarter of the pixels inside the inner lips that pass is_tooth (lighter than most of the
    lip, much less saturated: the rule of `lip_edges`), so that drawn teeth match the person's
    own. image: RGB uint8 [H, W, 3]; landmarks: [478, >=2] px."""
    crop = _mouth_crop(image, landmarks)
    if crop is None:
        return None, None
    rgb, lab, in_mouth, in_lips = crop
    is_tooth = tooth_rule(lab[in_lips])
    teeth = in_mouth & is_tooth(lab)
    if teeth.sum() < 12:
        return None, is_tooth
    pix = rgb[teeth]
    lightness = pix.mean(1)
    return pix[lightness >= np.percentile(lightness, 75)].mean(0).astype(np.float32), is_tooth
