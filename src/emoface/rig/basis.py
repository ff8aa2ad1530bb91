"""Per-AU and per-mouth-control displacement fields on the canonical mesh (FACS semantics).

Each field is a sum of "moves": a group of anchor vertices pushed by a vector (cm, at full
intensity), spread to nearby vertices with a Gaussian falloff and confined by a region weight
(`regions`). Lateral components may point "outward" (away from the midline) so one definition
serves both sides. The rig is linear: displacement = sum_k intensity_k / 5 * field_k.

Magnitudes are those of a real adult face at FACS intensity E (5) on the ~15 cm wide canonical
face: e.g. a full smile moves the lip corners ~0.9 cm up and out, a full brow raise lifts the
brows ~0.8 cm, a full jaw drop opens the lips ~1.3 cm (FACS Manual descriptions of each AU's
appearance changes; values chosen to match those descriptions visually).

Convention: canonical space, cm, x towards the subject's left, y up, z towards the viewer.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..analyze import topology as topo
from ..analyze.canonical_mesh import canonical_mesh
from ..vocab import AU_IDS, MOUTH_CONTROLS
from . import regions

BROW_INNER = topo.RIGHT_BROW_INNER + topo.LEFT_BROW_INNER
BROW_OUTER = topo.RIGHT_BROW_OUTER + topo.LEFT_BROW_OUTER
BROW_ALL = BROW_INNER + BROW_OUTER + topo.RIGHT_BROW_MID + topo.LEFT_BROW_MID
UPPER_LIDS = topo.RIGHT_EYE_UPPER + topo.LEFT_EYE_UPPER
LOWER_LIDS = topo.RIGHT_EYE_LOWER + topo.LEFT_EYE_LOWER
CHEEKS = topo.RIGHT_CHEEK + topo.LEFT_CHEEK
NOSE_WINGS = topo.RIGHT_NOSE_WING + topo.LEFT_NOSE_WING
CORNERS = topo.MOUTH_CORNERS + topo.MOUTH_CORNERS_INNER
UPPER_LIP = tuple(set(topo.LIPS_UPPER_OUTER + topo.LIPS_UPPER_INNER) - set(CORNERS))
LOWER_LIP = tuple(set(topo.LIPS_LOWER_OUTER + topo.LIPS_LOWER_INNER) - set(CORNERS))
UPPER_LIP_OUTER = tuple(set(topo.LIPS_UPPER_OUTER) - set(CORNERS))
LOWER_LIP_OUTER = tuple(set(topo.LIPS_LOWER_OUTER) - set(CORNERS))


@dataclass(frozen=True)
class Move:
    """anchors pushed by `vector` (cm at intensity 5; x > 0 means outward if `outward`)."""

    anchors: tuple[int, ...]
    vector: tuple[float, float, float]
    radius: float
    region: str = "all"      # all | brow | upper_lid | lower_lid | jaw | upper_lip
    outward: bool = False


AU_MOVES: dict[int, tuple[Move, ...]] = {
    1: (Move(BROW_INNER, (0.05, 1.0, 0.0), 1.2, "brow", True),),
    2: (Move(BROW_OUTER, (0.05, 1.0, 0.0), 1.3, "brow", True),),
    4: (Move(BROW_INNER, (-0.5, -0.8, 0.05), 1.1, "brow", True),
        Move(BROW_OUTER + topo.RIGHT_BROW_MID + topo.LEFT_BROW_MID, (-0.25, -0.55, 0.0), 1.2, "brow", True)),
    5: (Move(UPPER_LIDS, (0.0, 0.28, 0.02), 0.45, "upper_lid"),),
    6: (Move(CHEEKS, (0.05, 0.5, 0.1), 1.4, "lower_lid", True),
        Move(LOWER_LIDS, (0.0, 0.2, 0.0), 0.5, "lower_lid")),
    7: (Move(LOWER_LIDS, (0.0, 0.25, 0.0), 0.45, "lower_lid"),
        Move(UPPER_LIDS, (0.0, -0.1, 0.0), 0.4, "upper_lid")),
    9: (Move(NOSE_WINGS, (0.0, 0.5, 0.0), 0.8, "upper_lip"),
        Move((55, 285, 193, 417, 168), (0.0, -0.35, 0.0), 0.9),
        Move(UPPER_LIP_OUTER, (0.0, 0.2, 0.0), 0.6, "upper_lip")),
    10: (Move(UPPER_LIP, (0.0, 0.6, 0.08), 0.55, "upper_lip"),
         Move(NOSE_WINGS, (0.0, 0.12, 0.0), 0.7, "upper_lip")),
    12: (Move(CORNERS, (0.75, 0.85, -0.3), 1.0, "all", True),
         Move(CHEEKS, (0.05, 0.3, 0.1), 1.4, "lower_lid", True)),
    # dimpler: the corners tighten, drawn back and a little up and out, and the lips between
    # them press flat (thinner); seen from the front it is a tight, closed, faint smile
    14: (Move(CORNERS, (0.25, 0.2, -0.5), 0.45, "all", True),
         Move(UPPER_LIP_OUTER, (0.0, -0.15, 0.0), 0.35, "upper_lip"),
         Move(LOWER_LIP_OUTER, (0.0, 0.2, 0.0), 0.35, "jaw")),
    # depressor anguli oris is a broad triangle from the jaw line to the corner: the corner and
    # the skin beside and below it go down together (a 0.85 cm falloff moved the corner alone,
    # which MediaPipe, re-reading, half ignored: bench/au_edits.py AU15 -2.5 moved 2 of 5)
    15: (Move(CORNERS, (0.1, -0.8, 0.0), 1.1, "all", True),),
    17: (Move(topo.CHIN, (0.0, 0.45, 0.15), 1.2, "jaw"),
         Move(LOWER_LIP_OUTER, (0.0, 0.3, 0.2), 0.7, "jaw")),
    20: (Move(CORNERS, (0.9, -0.15, -0.1), 0.9, "all", True),),
    23: (Move(UPPER_LIP_OUTER, (0.0, -0.3, 0.0), 0.45, "upper_lip"),
         Move(LOWER_LIP_OUTER, (0.0, 0.3, 0.0), 0.45, "jaw"),
         Move(CORNERS, (-0.2, 0.0, 0.0), 0.5, "all", True)),
    25: (Move(LOWER_LIP, (0.0, -0.55, 0.0), 0.6, "jaw"),
         Move(UPPER_LIP, (0.0, 0.08, 0.0), 0.5, "upper_lip")),
    # jaw drop: the jaw rotation (JAW_*) plus the relaxed lips following it, the corners drawn
    # down and in and the upper lip's middle lifting a little, so the opening is an oval
    # rather than a slot as wide as the closed mouth (bench/express_targets.py: surprised
    # read as fear at level 3 with the corners left in place)
    26: (Move(topo.MOUTH_CORNERS, (-0.8, -0.1, 0.1), 0.6, "all", True),
         Move(UPPER_LIP_OUTER, (0.0, 0.15, 0.05), 0.4, "upper_lip")),
    45: (),   # blink is person-specific (lid to lid), see deform.blink_displacement
}

MOUTH_MOVES: dict[str, tuple[Move, ...]] = {
    "jaw_open": (),  # jaw rotation
    "lip_funnel": (Move(UPPER_LIP + LOWER_LIP, (0.0, 0.0, 0.45), 0.7),
                   Move(CORNERS, (-0.35, 0.0, 0.1), 0.7, "all", True),
                   Move(topo.LIPS_LOWER_INNER[2:-2], (0.0, -0.2, 0.0), 0.4, "jaw"),
                   Move(topo.LIPS_UPPER_INNER[2:-2], (0.0, 0.12, 0.0), 0.4, "upper_lip")),
    "lip_pucker": (Move(UPPER_LIP + LOWER_LIP, (0.0, 0.0, 0.55), 0.8),
                   Move(CORNERS, (-0.5, 0.0, 0.15), 0.8, "all", True)),
    "lip_press": (Move(UPPER_LIP_OUTER, (0.0, -0.15, -0.05), 0.45, "upper_lip"),
                  Move(LOWER_LIP_OUTER, (0.0, 0.18, -0.05), 0.5, "jaw")),
    "lip_stretch": (Move(CORNERS, (0.6, -0.05, -0.1), 0.9, "all", True),),
    # up and back, under the upper incisors (used with a little jaw_open for f / v)
    "lower_lip_tuck": (Move(LOWER_LIP, (0.0, 0.55, -0.3), 0.5, "jaw"),
                       Move(LOWER_LIP_OUTER, (0.0, 0.1, -0.1), 0.6, "jaw")),
}

# Jaw drop (AU26 at 5, jaw_open at 1): rotation of the jaw about an axis through the condyles,
# parallel to x, ~9 cm behind the lips at ear height.
JAW_PIVOT = np.array([0.0, 1.0, -4.0], np.float32)
JAW_ANGLE_AU26 = np.deg2rad(13.0)
JAW_ANGLE_OPEN = np.deg2rad(12.0)


def _region(name: str, verts: np.ndarray) -> np.ndarray:
    if name == "all":
        return np.ones(len(verts), np.float32)
    if name == "brow":
        return regions.above_eyes(verts)
    if name == "upper_lid":
        return regions.upper_lid_side(verts) * (1.0 - regions.above_eyes(verts, 3.3, 4.2))
    if name == "lower_lid":
        return 1.0 - regions.upper_lid_side(verts)
    if name == "jaw":
        return regions.jaw_weight(verts)
    if name == "upper_lip":
        return 1.0 - regions.jaw_weight(verts)
    raise ValueError(name)


def _field(moves: tuple[Move, ...], verts: np.ndarray) -> np.ndarray:
    """[468, 3] cm displacement of a list of moves."""
    out = np.zeros_like(verts)
    for move in moves:
        w = regions.falloff(verts, move.anchors, move.radius) * _region(move.region, verts)
        vec = np.broadcast_to(np.asarray(move.vector, np.float32), verts.shape).copy()
        if move.outward:
            vec[:, 0] *= np.sign(verts[:, 0])
        out += w[:, None] * vec
    return out


def jaw_rotation_field(verts: np.ndarray, angle: float) -> np.ndarray:
    """[468, 3] cm: linearised rotation of the jaw-weighted vertices by `angle` rad (mouth opens)."""
    rel = verts - JAW_PIVOT
    # rotation about +x by -angle moves points in front of the pivot downwards
    d = np.stack([np.zeros(len(verts)), rel[:, 2] * -angle, rel[:, 1] * angle], axis=1)
    return (regions.jaw_weight(verts)[:, None] * d).astype(np.float32)


# Speech's jaw drop opens the lips as a lens, not a slot: the corners (the modiolus, tied to the
# cheeks) follow the jaw only part way (jaw weight 0.5), and the lower lip between them hangs
# from them, dropping less the nearer it is to a corner. Without this the lower lip fell almost
# fully (89 %) 3 mm from the corner and the opening was a trapezoid with square ends.
LENS_CORNER_SHARE = 0.43     # the inner corners' drop / the lower lip middle's, as jaw_weight gives
LENS_REACH_CM = 0.5          # the skin around the lower lip follows its column's profile this far


def lower_lip_lens(verts: np.ndarray) -> np.ndarray:
    """[468] multiplier of the jaw drop for speech (jaw_open): along the lower lip, an ellipse
    from LENS_CORNER_SHARE next to the corners up to 1 in the middle, the same for every ring of
    a lip column (the lip keeps its thickness); the skin around it blends back to 1 within
    LENS_REACH_CM (Gaussian in the distance to the nearest lower-lip point); 1 elsewhere."""
    inner = np.asarray(topo.LOWER_LIP_RINGS[0])
    u = np.abs(verts[inner, 0]) / np.abs(verts[inner[[0, -1]], 0]).mean()
    column = LENS_CORNER_SHARE + (1.0 - LENS_CORNER_SHARE) * np.sqrt(np.clip(1.0 - u * u, 0.0, 1.0))
    column[[0, -1]] = 1.0                        # the corners: jaw_weight already halves them
    ids = np.concatenate([np.asarray(ring) for ring in topo.LOWER_LIP_RINGS])
    drop = np.tile(1.0 - column, len(topo.LOWER_LIP_RINGS))
    d2 = ((verts[:, None, :] - verts[ids][None, :, :]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    reach = np.exp(-d2[np.arange(len(verts)), nearest] / (2.0 * LENS_REACH_CM ** 2))
    return (1.0 - drop[nearest] * reach).astype(np.float32)


@dataclass(frozen=True)
class RigBasis:
    """au: [17, 2, 468, 3] cm per unit AU intensity, per side (0 = left, 1 = right).
    mouth: [5, 468, 3] cm per unit mouth control.
    jaw_only: [2, 468, 3] cm per unit AU26 per side, the jaw rotation without the lips
    following it: what a negative AU26 asks of `deform.close_mouth`, which closes the source's
    own opening on its own geometry (the lips' following, reversed, would spread the corners)."""

    au: np.ndarray
    mouth: np.ndarray
    jaw_only: np.ndarray


@functools.lru_cache(maxsize=1)
def rig_basis() -> RigBasis:
    verts = canonical_mesh().vertices
    left = regions.left_weight(verts)[:, None]
    au = np.zeros((len(AU_IDS), 2, len(verts), 3), np.float32)
    jaw = jaw_rotation_field(verts, JAW_ANGLE_AU26)
    for k, au_id in enumerate(AU_IDS):
        field = _field(AU_MOVES[au_id], verts)
        if au_id == 26:
            field = field + jaw
        field = field / 5.0
        au[k, 0], au[k, 1] = field * left, field * (1.0 - left)
    jaw_only = np.stack([jaw * left, jaw * (1.0 - left)]) / 5.0
    mouth = np.zeros((len(MOUTH_CONTROLS), len(verts), 3), np.float32)
    for k, name in enumerate(MOUTH_CONTROLS):
        mouth[k] = (jaw_rotation_field(verts, JAW_ANGLE_OPEN) * lower_lip_lens(verts)[:, None]
                    if name == "jaw_open" else _field(MOUTH_MOVES[name], verts))
    return RigBasis(au=au, mouth=mouth, jaw_only=jaw_only)
