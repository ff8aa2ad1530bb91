"""Rig parameters -> displaced landmarks of one face, in image px.

The AU and mouth fields live in canonical space (cm); a similarity fit from the canonical mesh to
the person's own landmarks (rotation, scale, translation) carries them into the image, so every
face gets displacements of the right size and direction for its pose. Blinks are measured on the
person's own eyelids (the upper lid travels to the lower one), the irises follow the gaze inside
the eye opening, and head rotation turns the whole deformed face about a pivot in the neck.

A portrait's own open mouth is closed on its own geometry rather than by the rig's fields in
reverse (`close_mouth`), each lip moves as one band (`coherent_lips`), and a lip pushed into
the other stops at it and thins (`keep_lip_bands_ordered`), so that no lip or skin triangle folds
over at the mouth; where AU fields still collide, the skin around them is
relaxed until no triangle is turned over (`untangle`). `deform` is `move_skin`, then that fold
repair, then `finish_deform` (blinks, gaze, head rotation); a video goes through
`rig.sequence.deform_sequence`, which smooths the repair in time between the two.

Convention: image space is px, x right, y down, z away from the camera (MediaPipe's z);
canonical space is cm, x to the subject's left, y up, z towards the viewer.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation
from skimage.transform import SimilarityTransform

from ..analyze import topology as topo
from ..analyze.canonical_mesh import canonical_mesh
from ..types import FaceAnalysis, RigParams
from ..vocab import AU_INDEX, AU_MAX, MOUTH_INDEX
from . import regions
from .basis import rig_basis
from .untangle import untangle

IMAGE_FROM_CANONICAL_AXES = np.diag([1.0, -1.0, -1.0]).astype(np.float32)
BLINK_RING_SHARE = 0.55  # how far the skin ring above the lid margin follows a blink

# Closing a mouth the portrait shows open (negative AU25/AU26), see `close_mouth`.
CLOSING_SNAP = 0.85           # a closure within 15 % of complete is complete (AU readings are that rough)
CLOSING_CHIN_DEPTH_CM = 4.0   # below the lower lip's edge, where the jaw takes over from the lip
CORNER_RISE_OF_GAP = 0.5      # the corners rise at most this share of the opening as it closes
UPPER_SKIN_REACH_CM = 0.5     # skin this close to the upper lip rises with it
LIP_TURN_REACH_CM = 0.4       # skin this close to the lower lip turns with it
LIP_SLANT_MAX = np.deg2rad(25.0)  # a closed lower lip leans at most this far from its edge's normal
LIP_MIN_THICKNESS = 0.25      # a lip pressed or tucked under the other keeps this share of its bands
# For f and v the lower lip rests against the upper incisors' biting edge, which hangs below the
# upper lip: a strip of the upper teeth shows between the lips (they do not meet as for p, b, m).
# How much of the teeth, at full lower_lip_tuck, in the middle of the mouth (less towards the
# corners, where the lips meet).
TUCK_TEETH_SHOW_CM = 0.3
UNTANGLE = True               # repair folded skin (`rig.untangle`); off only to study the raw rig


@dataclass(frozen=True)
class FaceFit:
    """Similarity from canonical cm to image px: px = scale * rotation @ (A @ cm) + translation.

    rotation: [3, 3]; scale: px per cm; translation: [3] px; A = IMAGE_FROM_CANONICAL_AXES.
    head_pivot_px: [3] point the head turns about (upper neck, behind the face).
    """

    rotation: np.ndarray
    scale: float
    translation: np.ndarray
    head_pivot_px: np.ndarray

    def vectors_to_image(self, cm: np.ndarray) -> np.ndarray:
        """[..., 3] cm displacement vectors -> [..., 3] px vectors."""
        return self.scale * cm @ (self.rotation @ IMAGE_FROM_CANONICAL_AXES).T

    def points_to_image(self, cm: np.ndarray) -> np.ndarray:
        return self.vectors_to_image(cm) + self.translation

    @property
    def down(self) -> np.ndarray:
        """[3] unit vector of the face's chin-ward direction in image space."""
        d = self.vectors_to_image(np.array([0.0, -1.0, 0.0], np.float32))
        return d / np.linalg.norm(d)


def fit_face(analysis: FaceAnalysis) -> FaceFit:
    """Fit canonical -> image similarity on the 468 mesh landmarks."""
    src = canonical_mesh().vertices @ IMAGE_FROM_CANONICAL_AXES.T
    dst = analysis.landmarks_px[: topo.N_MESH].astype(np.float64)
    tf = SimilarityTransform.from_estimate(src.astype(np.float64), dst)
    rotation = (tf.params[:3, :3] / tf.scale).astype(np.float32)
    translation = tf.params[:3, 3].astype(np.float32)
    fit = FaceFit(rotation, float(tf.scale), translation, np.zeros(3, np.float32))
    # pivot: below the chin's height at the ear line, ~8 cm behind the face surface
    pivot_cm = np.array([0.0, -6.0, -6.0], np.float32)
    return FaceFit(rotation, float(tf.scale), translation, fit.points_to_image(pivot_cm))


def blink_displacement(landmarks: np.ndarray, closure_lr: np.ndarray) -> np.ndarray:
    """[478, 3] px: upper lids moved towards the lower lids by closure (0 open .. 1 shut).

    closure_lr: [2] (subject's left, right); negative values lift the lid (capped at -0.3).
    """
    out = np.zeros_like(landmarks)
    eyes = ((topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_EYE_UPPER_RING),
            (topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_EYE_UPPER_RING))
    for (upper, lower, ring), closure in zip(eyes, closure_lr):
        c = float(np.clip(closure, -0.3, 1.0))
        travel = landmarks[list(lower)] - landmarks[list(upper)]
        travel[:, 2] = 0.0
        out[list(upper)] += c * 0.97 * travel
        out[list(ring)] += c * BLINK_RING_SHARE * travel
    return out


@functools.lru_cache(maxsize=1)
def _lip_columns() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each semi-ring vertex sits across its lip (canonical): (vertex, inner, outer, t) with
    t the vertex's share of the way from the inner to the outer ring, [N] each."""
    verts = canonical_mesh().vertices
    rows = []
    for rings in (topo.UPPER_LIP_RINGS, topo.LOWER_LIP_RINGS):
        inner, outer = rings[0], rings[-1]
        for ring in rings[1:-1]:
            for k in range(1, len(ring) - 1):
                rows.append((ring[k], inner[k], outer[k]))
    # the corner columns (shared by both lips) lie between the inner and the outer corner
    for ring in (topo.UPPER_LIP_RINGS[1], topo.UPPER_LIP_RINGS[2]):
        for k in (0, -1):
            rows.append((ring[k], topo.LIPS_UPPER_INNER[k], topo.LIPS_UPPER_OUTER[k]))
    v, i, o = (np.array(c) for c in zip(*rows))
    span = verts[o] - verts[i]
    t = np.clip(((verts[v] - verts[i]) * span).sum(1) / (span * span).sum(1), 0.0, 1.0)
    return v, i, o, t.astype(np.float32)


def coherent_lips(displacement: np.ndarray) -> None:
    """In place on [468, 3]: each lip moves as one band, its middle rings following the inner
    and outer edge in proportion (the rig's falloffs would let the thin rings next to the inner
    edge drift across it when the jaw moves, folding the lip over)."""
    v, i, o, t = _lip_columns()
    displacement[v] = (1.0 - t)[:, None] * displacement[i] + t[:, None] * displacement[o]


@functools.lru_cache(maxsize=1)
def _jaw_weight() -> np.ndarray:
    """[468] the rig's jaw weight (what moves with the mandible)."""
    return regions.jaw_weight(canonical_mesh().vertices)


@functools.lru_cache(maxsize=1)
def _closed_upper_lip_droop_cm() -> np.ndarray:
    """[11] how far each upper inner lip point sits below the lip's middle on the canonical
    (closed) face, cm."""
    y = canonical_mesh().vertices[list(topo.LIPS_UPPER_INNER), 1]
    return (y[5] - y).astype(np.float32)


def _follow_polyline(points: np.ndarray, line: np.ndarray, line_new: np.ndarray, reach: float):
    """Points [N, 2] carried along by a polyline [L, 2] moving to line_new [L, 2]: each keeps its
    offset from its nearest point on the line, turned as that segment turns where it is near
    (the turn fades over `reach` px, so that far points are not swung round). -> (moves [N, 2],
    distances to the line [N])."""
    a, ab = line[:-1], line[1:] - line[:-1]
    t = np.clip(((points[:, None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
    d2 = ((points[:, None] - (a + t[..., None] * ab)) ** 2).sum(-1)
    seg = np.argmin(d2, 1)
    tt = t[np.arange(len(points)), seg][:, None]
    foot = a[seg] + tt * ab[seg]
    ab_new = line_new[1:] - line_new[:-1]
    seg_turn = np.arctan2(ab_new[:, 1], ab_new[:, 0]) - np.arctan2(ab[:, 1], ab[:, 0])
    seg_turn = (seg_turn + np.pi) % (2 * np.pi) - np.pi
    at_point = np.concatenate([seg_turn[:1], 0.5 * (seg_turn[1:] + seg_turn[:-1]), seg_turn[-1:]])
    turn = (1.0 - tt[:, 0]) * at_point[seg] + tt[:, 0] * at_point[seg + 1]
    turn *= np.exp(-0.5 * d2[np.arange(len(points)), seg] / reach ** 2)
    off = points - foot
    c, s = np.cos(turn), np.sin(turn)
    moved = line_new[seg] + tt * ab_new[seg] + np.stack([c * off[:, 0] - s * off[:, 1], s * off[:, 0] + c * off[:, 1]], 1)
    return moved - points, np.sqrt(d2[np.arange(len(points)), seg])


def _normal_angles(points: np.ndarray, down: np.ndarray) -> np.ndarray:
    """[N] rad, direction of the normal of an open polyline [N, 2] at each point (central
    differences), on the side of `down` [2]."""
    t = np.empty_like(points)
    t[1:-1] = points[2:] - points[:-2]
    t[0], t[-1] = points[1] - points[0], points[-1] - points[-2]
    n = np.stack([-t[:, 1], t[:, 0]], 1)
    n *= np.where(n @ down < 0, -1.0, 1.0)[:, None]
    return np.arctan2(n[:, 1], n[:, 0])


def _lip_bands(inner: np.ndarray, inner_new: np.ndarray, source: np.ndarray, down: np.ndarray, share: float):
    """How a lower lip's columns turn as its inner edge goes from `inner` to `inner_new` [11, 2]:
    -> band(rel [11, 2]) rotating each column's offsets from its inner point. Each column keeps
    its length and its slant against the edge's normal, the slant eased towards at most
    LIP_SLANT_MAX by the closing's share (so near the corners, where the open edge runs nearly
    down, the lip turns with it instead of spilling across its neighbours)."""
    outer = source[list(topo.LIPS_LOWER_OUTER), :2].astype(np.float64)
    before, after = _normal_angles(inner, down), _normal_angles(inner_new, down)
    rel = outer - inner
    slant = (np.arctan2(rel[:, 1], rel[:, 0]) - before + np.pi) % (2 * np.pi) - np.pi
    eased = slant + share * (np.clip(slant, -LIP_SLANT_MAX, LIP_SLANT_MAX) - slant)
    turn = (after + eased) - (before + slant)
    cos, sin = np.cos(turn)[:, None], np.sin(turn)[:, None]

    def band(offsets: np.ndarray) -> np.ndarray:
        return np.concatenate([cos * offsets[:, :1] - sin * offsets[:, 1:], sin * offsets[:, :1] + cos * offsets[:, 1:]], 1)

    return band


def close_mouth(source: np.ndarray, closing_px: np.ndarray, down: np.ndarray,
                px_per_cm: float, saturated: bool = False) -> np.ndarray:
    """[468, 3] px: the displacement that closes the source's own mouth as far as the rig's
    closing fields `closing_px` [468, 3] px (negative AU25/AU26) ask, in their place.

    The rig raises the lower lip evenly along its length, but a real opening tapers to nothing
    at the corners, an open lower lip hangs in a U whose sides are steep, and the open jaw pulls
    the corners and the ends of the upper lip down: applied in reverse to an open mouth the fields
    push the lower lip through the upper one near the corners (folds, dark whiskers), and through
    it everywhere on a mouth already shut. Instead:

    - share: how much of the source's opening the closing asks to remove (rig rise / source gap
      over the middle of the lips; within `CLOSING_SNAP` of complete, or `saturated`, counts
      as complete);
    - the upper lip, column by column, rises by that share of how much further it hangs below
      its middle than the canonical (closed) face's does (the corners and the lip's ends), the
      skin above it along;
    - each lower inner point travels that share of the way to its upper partner (meeting it at
      full closure), and each column of the lower lip follows it turning as the edge turns (the
      lip keeps its thickness as its U flattens);
    - the skin below is carried by the lower lip's outer edge near it and by the jaw further
      down, which moves by the share of the rig's motion that the lips received.

    source: [478, 3] px; down: [>=2] the face's down vector; px_per_cm: the face's scale;
    saturated: the closing removes a reading capped at AU_MAX (the opening it stands for may be
    larger than the rig's field).
    """
    d = np.asarray(down[:2], np.float64)
    d = d / np.linalg.norm(d)
    pts = source[: topo.N_MESH, :2].astype(np.float64)
    upper = pts[list(topo.LIPS_UPPER_INNER)]
    inner = pts[list(topo.LIPS_LOWER_INNER)]
    gap = np.maximum((inner - upper) @ d, 0.0)
    gap[0] = gap[-1] = 0.0
    rise = (closing_px[list(topo.LIPS_UPPER_INNER), :2] - closing_px[list(topo.LIPS_LOWER_INNER), :2]) @ d
    rise_mid, gap_mid = float(rise[3:-3].mean()), float(gap[3:-3].mean())
    if rise_mid <= 1e-6:
        return closing_px
    share = 1.0 if saturated else min(rise_mid / max(gap_mid, 1e-6) / CLOSING_SNAP, 1.0)
    kept = min(share * gap_mid / rise_mid, 1.0)
    jaw = _jaw_weight()

    # the upper lip's columns (corners included) come up by their excess droop
    droop = (upper - upper[5]) @ d
    lift_k = share * np.clip(droop - _closed_upper_lip_droop_cm() * px_per_cm, 0.0, CORNER_RISE_OF_GAP * gap_mid)
    column_lift = -lift_k[:, None] * d                                        # [11, 2]
    # each lower inner point travels towards its upper partner (meeting it at full closure)
    inner_new = inner + share * (gap > 0)[:, None] * (upper - inner) + column_lift
    band = _lip_bands(inner, inner_new, source, d, share)

    out = kept * closing_px.astype(np.float64)
    # skin below: carried by the lower lip's outer edge near it (turning with it), by the jaw
    # further down; skin above and beside: carried up with the upper lip's outer edge
    outer = pts[list(topo.LIPS_LOWER_OUTER)]
    outer_new = inner_new + band(outer - inner)
    outer_new[[0, -1]] = outer[[0, -1]] + column_lift[[0, -1]]
    lower_move, dist = _follow_polyline(pts, outer, outer_new, LIP_TURN_REACH_CM * px_per_cm)
    near = 1.0 - regions.smoothstep(dist / px_per_cm, 0.0, CLOSING_CHIN_DEPTH_CM)
    top = pts[list(topo.LIPS_UPPER_OUTER)]
    upper_move, dist_up = _follow_polyline(pts, top, top + column_lift, 1e-6)
    near_up = np.exp(-0.5 * (dist_up / (UPPER_SKIN_REACH_CM * px_per_cm)) ** 2)
    out[:, :2] = ((near * jaw)[:, None] * lower_move + (1.0 - near)[:, None] * out[:, :2]
                  + ((1.0 - jaw) * near_up)[:, None] * upper_move)
    # the lips themselves
    for ring in topo.LOWER_LIP_RINGS:
        ids = list(ring[1:-1])
        out[ids, :2] = (inner_new + band(pts[list(ring)] - inner))[1:-1] - pts[ids]
    for ring in topo.UPPER_LIP_RINGS:
        out[list(ring), :2] = column_lift
    return out.astype(np.float32)


EYES = tuple(  # iris (centre first), lids (upper, lower), upper and lower lid with the corners
    (np.array(iris), np.array(up + lo), np.array((c[0],) + up + (c[1],)), np.array((c[0],) + lo + (c[1],)),
     np.array(c))
    for iris, up, lo, c in ((topo.RIGHT_IRIS, topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_EYE_CORNERS),
                            (topo.LEFT_IRIS, topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_EYE_CORNERS)))
GAZE_CORNER_MARGIN = 1.0      # the iris centre keeps this many iris radii from the eye corners
GAZE_LID_RANGE = (0.3, 0.7)   # ... and stays within this part of the way from upper to lower lid


def _eye_place(points: np.ndarray, eye: tuple, centre: np.ndarray, x_dir: np.ndarray, y_dir: np.ndarray):
    """A point in an eye's frame (origin between its corners, the face's axes): -> (origin [2],
    half width px, x, y, and the lids' heights at x as (x_samples, upper, lower) sorted by x)."""
    _, _, upper, lower, corners = eye
    a, b = points[corners[0], :2].astype(np.float64), points[corners[1], :2].astype(np.float64)
    origin = 0.5 * (a + b)
    rel = np.concatenate([points[upper, :2], points[lower, :2]]) - origin
    x, y = rel @ x_dir, rel @ y_dir
    n = len(upper)
    ou, ol = np.argsort(x[:n]), np.argsort(x[n:])
    lids = (x[:n][ou], y[:n][ou], x[n:][ol], y[n:][ol])
    c = centre - origin
    return origin, 0.5 * float(np.linalg.norm(b - a)), float(c @ x_dir), float(c @ y_dir), lids


def _lids(lids: tuple, x: float) -> tuple[float, float]:
    return float(np.interp(x, lids[0], lids[1])), float(np.interp(x, lids[2], lids[3]))


def move_irises(points: np.ndarray, source: np.ndarray, gaze: np.ndarray | None, down: np.ndarray) -> None:
    """In place on points [478, 3] px (lids already placed): each iris rides along with its eye
    (the lids' mean motion, half of it vertically), shifts by gaze [2] eye widths (x right, y down
    along the face's axes: `down` [>=2] and across it), and is kept inside the opening: its
    centre at least GAZE_CORNER_MARGIN iris radii from the corners and within GAZE_LID_RANGE of
    the way from the upper to the lower lid (never tighter than where the source's iris already
    is, so an unedited face stays as it is; a closing blink draws the iris in with the lids)."""
    gaze = np.zeros(2) if gaze is None else np.asarray(gaze, np.float64)
    y_dir = np.asarray(down[:2], np.float64) / max(float(np.linalg.norm(down[:2])), 1e-9)
    x_dir = np.array([y_dir[1], -y_dir[0]])                    # the face's right in the image
    for eye in EYES:
        iris, lid_ids, _, _, corners = eye
        lid_move = points[lid_ids] - source[lid_ids]
        if not gaze.any() and not lid_move.any():
            continue                                            # an unedited eye: nothing to do
        shift = lid_move.mean(0)
        shift[1] *= 0.5
        c_src = source[iris[0], :2].astype(np.float64)
        width = float(np.linalg.norm(source[corners[1], :2] - source[corners[0], :2]))
        if width < 1e-6:
            points[iris] += shift
            continue
        target = c_src + shift[:2] + width * (gaze[0] * x_dir + gaze[1] * y_dir)
        radius = float(np.linalg.norm(source[iris[1:], :2] - c_src, axis=1).mean())
        _, half_s, x_s, y_s, lids_s = _eye_place(source, eye, c_src, x_dir, y_dir)
        up_s, lo_s = _lids(lids_s, x_s)
        f_s = (y_s - up_s) / (lo_s - up_s) if lo_s - up_s > 1e-6 else 0.5
        reach = max(half_s - GAZE_CORNER_MARGIN * radius, abs(x_s), 0.0)
        origin, half, x, y, lids = _eye_place(points, eye, target, x_dir, y_dir)
        limit = reach * half / max(half_s, 1e-6)
        x = float(np.clip(x, -limit, limit))
        up, lo = _lids(lids, x)
        f_lo, f_hi = min(GAZE_LID_RANGE[0], f_s), max(GAZE_LID_RANGE[1], f_s)
        y = float(np.clip(y, up + f_lo * max(lo - up, 0.0), up + f_hi * max(lo - up, 0.0)))
        final = origin + x * x_dir + y * y_dir
        points[iris, :2] += (final - c_src)[None, :]
        points[iris, 2] += shift[2]


def _keep_eyelids_ordered(points: np.ndarray, source: np.ndarray, down: np.ndarray) -> None:
    """In place: a lower eyelid never rises above its upper partner (no inside-out eye).

    The floor is the source's own gap where that is already negative (landmark noise on a
    closed eye), so an unedited face is left exactly as it is. The lips have their own, fuller
    rule (`keep_lip_bands_ordered`, every ring of every column)."""
    for upper, lower in ((topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER),
                         (topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER)):
        u, lo = list(upper), list(lower)
        gap = (points[lo, :2] - points[u, :2]) @ down[:2]
        floor = np.minimum((source[lo, :2] - source[u, :2]) @ down[:2], 0.0)
        crossed = gap < floor - 1e-3
        if crossed.any():
            shift = ((gap - floor)[crossed] / 2)[:, None] * down[None, :2]
            points[np.array(u)[crossed], :2] += shift
            points[np.array(lo)[crossed], :2] -= shift


_CLOSE_CACHE: dict = {}
_CLOSE_CACHE_SIZE = 8


def _cached_close_mouth(src, closing, closing_px, fit: FaceFit, saturated: bool) -> np.ndarray:
    """`close_mouth`, remembered for the last few (face, closing) pairs: a talking performance
    closes the portrait's mouth by the same amount on almost every frame."""
    key = (hash(src.tobytes()), closing.tobytes(), fit.scale, fit.down.tobytes(), saturated)
    hit = _CLOSE_CACHE.get(key)
    if hit is None:
        hit = close_mouth(src, closing_px, fit.down, fit.scale, saturated)
        if len(_CLOSE_CACHE) >= _CLOSE_CACHE_SIZE:
            _CLOSE_CACHE.pop(next(iter(_CLOSE_CACHE)))
        _CLOSE_CACHE[key] = hit
    return hit


def deform(analysis: FaceAnalysis, params: RigParams, fit: FaceFit | None = None,
           order_lips: bool = True) -> np.ndarray:
    """Source landmarks + rig params -> [478, 3] px deformed landmarks.

    order_lips: keep each lip column's rings in order (`keep_lip_bands_ordered`); False for a
    caller that puts every lip column back to the source's own gap afterwards (edit)."""
    fit = fit or fit_face(analysis)
    skin = move_skin(analysis, params, fit, order_lips)
    return finish_deform(analysis, params, fit, skin, fold_repair(analysis, skin))


def move_skin(analysis: FaceAnalysis, params: RigParams, fit: FaceFit, order_lips: bool = True) -> np.ndarray:
    """First stage of `deform`: [478, 3] px landmarks moved by the AU and mouth fields (the
    source's own open mouth closed on its geometry, lips moving as bands, each lip column's rings
    kept in order unless order_lips is False); folds not yet repaired."""
    basis = rig_basis()
    src = analysis.landmarks_px
    delta_cm = np.einsum("ks,ksvc->vc", params.au_delta, basis.au)
    delta_cm += np.einsum("k,kvc->vc", params.mouth, basis.mouth)
    move = fit.vectors_to_image(delta_cm)
    parting = [AU_INDEX[25], AU_INDEX[26]]
    closing = np.minimum(params.au_delta[parting], 0.0)
    if closing.any():   # the rig's closing fields give way to the source's own mouth closing
        applied_px = fit.vectors_to_image(np.einsum("ks,ksvc->vc", closing, basis.au[parting]))
        closing_fields = np.stack([basis.au[parting[0]], basis.jaw_only])
        closing_px = fit.vectors_to_image(np.einsum("ks,ksvc->vc", closing, closing_fields))
        saturated = bool(np.any(np.all(closing <= -(AU_MAX - 1e-3), axis=1)))
        move += _cached_close_mouth(src, closing, closing_px, fit, saturated) - applied_px
    coherent_lips(move)
    out = src.copy()
    out[: topo.N_MESH] += move
    if order_lips:
        tuck = float(params.mouth[MOUTH_INDEX["lower_lip_tuck"]])
        keep_lip_bands_ordered(out, src, fit.down, tuck * TUCK_TEETH_SHOW_CM * fit.scale)
    return out


def keep_lip_bands_ordered(points: np.ndarray, source: np.ndarray, down: np.ndarray,
                           teeth_show_px: float = 0.0) -> None:
    """In place on points [478, 3] px: every lip column keeps its rings in order, inner to outer.

    A lower lip tucked under the upper teeth (f, v) or pressed up against a mouth closed on its
    own geometry would rise through the upper lip, and a pressed upper lip's outer edge would
    sink through its inner one; a 2-D warp can only show that as a fold (dark, stair-stepped
    whiskers at the corners). Instead the lower lip stops at the upper lip's inner edge (the rest
    of it is hidden behind it) and, walking outwards, each ring stays at least LIP_MIN_THICKNESS
    of its source band beyond the ring inside it (the visible lip thins). Along the face's down
    vector; where the source itself has two rings out of that order (landmark noise on a closed
    mouth, a band running sideways near a corner), its own offset is the floor, so an unedited
    face is left exactly as it is.
    source: [478, 3] px; down: [>=2] the face's down vector; teeth_show_px: for a lower lip
    tucked under the upper teeth (f, v), how far below the upper lip it stops in the middle of
    the mouth (the upper incisors' edge), tapering to 0 at the corners."""
    d = np.asarray(down[:2], np.float64)
    d = d / np.linalg.norm(d)
    along = points[: topo.N_MESH, :2].astype(np.float64) @ d
    along_src = source[: topo.N_MESH, :2].astype(np.float64) @ d
    upper_inner, lower_inner = np.array(topo.LIPS_UPPER_INNER[1:-1]), np.array(topo.LIPS_LOWER_INNER[1:-1])
    floor = np.minimum(along_src[lower_inner] - along_src[upper_inner], 0.0)
    if teeth_show_px > 0.0:
        across = np.array([-d[1], d[0]])
        corners = source[list(topo.MOUTH_CORNERS_INNER), :2].astype(np.float64) @ across
        x = (source[upper_inner, :2].astype(np.float64) @ across - corners.mean())
        arch = 1.0 - np.clip(2.0 * x / max(abs(corners[1] - corners[0]), 1e-6), -1.0, 1.0) ** 2
        floor = np.maximum(floor, teeth_show_px * arch)
    limit = along[upper_inner] + floor                       # the lower inner ring's highest place
    for rings, sign in ((topo.LOWER_LIP_RINGS, 1.0), (topo.UPPER_LIP_RINGS, -1.0)):
        columns = np.array([ring[1:-1] for ring in rings])   # [4, 9], inner ring first
        for r in range(len(columns)):
            ids = columns[r]
            if r == 0:
                if sign < 0:
                    continue                                 # the upper inner edge is the reference
                bound = limit
            else:
                band = sign * (along_src[ids] - along_src[columns[r - 1]])
                band = np.where(band > 0.0, LIP_MIN_THICKNESS * band, band)   # < 0: the source's own order
                bound = along[columns[r - 1]] + sign * band
            excess = sign * (bound - along[ids])               # > 0: the ring is past its bound
            push = np.flatnonzero(excess > 1e-6)
            if len(push):
                points[ids[push], :2] += (sign * excess[push])[:, None] * d[None, :].astype(points.dtype)
                along[ids[push]] += sign * excess[push]


def fold_repair(analysis: FaceAnalysis, skin: np.ndarray) -> np.ndarray:
    """[468, 2] px to add to the face points of `move_skin`'s output so that no skin triangle
    is folded (`rig.untangle`); zeros where nothing folds, or with UNTANGLE off."""
    if not UNTANGLE:
        return np.zeros((topo.N_MESH, 2), np.float32)
    return untangle(analysis.landmarks_px, skin) - skin[: topo.N_MESH, :2]


def finish_deform(analysis: FaceAnalysis, params: RigParams, fit: FaceFit, skin: np.ndarray,
                  repair: np.ndarray) -> np.ndarray:
    """Second stage of `deform`: `move_skin`'s landmarks [478, 3] px plus the fold repair
    [468, 2] px, then blinks, gaze and head rotation -> [478, 3] px."""
    src = analysis.landmarks_px
    out = skin.copy()
    out[: topo.N_MESH, :2] += repair
    blink = params.au_delta[AU_INDEX[45]] / AU_MAX
    out += blink_displacement(src, blink)
    _keep_eyelids_ordered(out, src, fit.down)
    move_irises(out, src, getattr(params, "gaze", None), fit.down)
    if np.any(params.head_rotation):
        out = rotate_about(out, params.head_rotation, fit.head_pivot_px)
    return out


def rotate_about(points: np.ndarray, pitch_yaw_roll: np.ndarray, pivot: np.ndarray) -> np.ndarray:
    """Rotate [N, 3] px points by (pitch, yaw, roll) rad in image axes about `pivot` [3] px."""
    rot = Rotation.from_euler("xyz", pitch_yaw_roll).as_matrix().astype(np.float32)
    return (points - pivot) @ rot.T + pivot
