"""The control mesh: the face mesh plus rings of points reaching beyond the face.

The 468-vertex face mesh ends at the face oval. Three rings around it (hair/forehead, ears,
neck, then the rest of the image) let a moving jaw or head bend the surrounding image smoothly:
each ring point follows its face-oval point by a share that falls off outwards, and the last ring
lies far outside the image and never moves. Rings are the oval scaled about its centroid, so the
strips between them never overlap.

The eyes: the face mesh spans each eye opening with triangles between the lids, so the iris
could only stretch with them. Here each opening is instead a fan around its iris: the iris
centre landmark (468 right, 473 left), an inner ring of EYE_RING points just outside the iris
edge, and the lid contour, stitched together. The ring is placed in the eye's own frame: across,
at fixed offsets from the centre (the iris moves as a whole when the gaze shifts); up and down,
at fixed shares of the way between the lids (so it stays inside the opening, and a blink closes
it with the lids without turning any triangle over).

Convention: points are (x, y) px, y down.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..analyze import topology as topo
from ..analyze.canonical_mesh import canonical_mesh

RING_SCALES = (1.3, 1.8)      # x the oval's size about its centroid
RING_SHARES = (0.6, 0.2)      # share of the oval point's displacement a ring point follows
NECK_SHARE = 0.6              # extra factor for ring points below the chin (the neck moves less)
FAR_RADIUS_FACTOR = 4.0       # last ring radius, x the image diagonal

EYE_RING = 8                  # points on the inner (iris) ring of each eye
EYE_RING_REACH_SHARE = 0.08   # inner ring points keep this share of the lid opening from each lid
EYE_CLOSING_FROM = 0.5        # below this share of its opening an eye counts as closing
EYE_RING_RADIUS = 1.2         # the inner ring's radius, in iris radii (the iris's rim moves with it)
EYE_LOOPS = (  # (iris centre, lid contour loop: corner, upper lid, corner, lower lid back)
    (topo.RIGHT_IRIS[0], (topo.RIGHT_EYE_CORNERS[0],) + topo.RIGHT_EYE_UPPER
     + (topo.RIGHT_EYE_CORNERS[1],) + topo.RIGHT_EYE_LOWER[::-1]),
    (topo.LEFT_IRIS[0], (topo.LEFT_EYE_CORNERS[0],) + topo.LEFT_EYE_UPPER
     + (topo.LEFT_EYE_CORNERS[1],) + topo.LEFT_EYE_LOWER[::-1]),
)


@dataclass(frozen=True)
class ControlMesh:
    """points_src: [N, 2] px: the 478 landmarks first (468 face + 10 iris, of which only the two
    iris centres are used), then the outer ring points, then the eyes' inner ring points.
    triangles: [M, 3] int32, the n_face face triangles first (the canonical mesh's, with the eye
    openings replaced by the iris fans), then the outer strips.
    depth_landmarks: [n_face, 3] landmark whose depth each face triangle corner takes.
    behind: [n_face] bool, the eye fans: the eyeball lies behind the lids, so wherever a shut
    eye's fan folds over the lid skin, the skin is drawn.
    oval_of_point: [R] int, which oval vertex each outer ring point follows.
    share: [R] float32, how much of that vertex's displacement it follows.
    eye_ring: [2, EYE_RING, 4], the inner ring points about their iris centre (`eye_ring_points`).
    """

    points_src: np.ndarray
    triangles: np.ndarray
    n_face: int
    depth_landmarks: np.ndarray
    behind: np.ndarray
    oval_of_point: np.ndarray
    share: np.ndarray
    eye_ring: np.ndarray

    def points_dst(self, face_dst: np.ndarray) -> np.ndarray:
        """face_dst: [478, 2|3] deformed landmarks px -> [N, 2] deformed control points."""
        face_dst = face_dst[: topo.N_LANDMARKS, :2].astype(np.float32)
        src_face = self.points_src[: topo.N_LANDMARKS]
        moved = face_dst[self.oval_of_point] - src_face[self.oval_of_point]
        rings = self.points_src[topo.N_LANDMARKS: topo.N_LANDMARKS + len(self.share)] + self.share[:, None] * moved
        eyes = eye_ring_points(face_dst, self.eye_ring)
        return np.concatenate([face_dst, rings, eyes.reshape(-1, 2)]).astype(np.float32)


def _eye_frame(landmarks: np.ndarray, loop) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """An eye's frame from its corners: origin [2], x_dir [2] (first corner -> second),
    y_dir [2] (towards the lower lid), and the lids as (x, upper y, lower y) samples sorted by x."""
    pts = landmarks[list(loop), :2].astype(np.float64)
    origin, axis = pts[0], pts[8] - pts[0]
    x_dir = axis / max(float(np.linalg.norm(axis)), 1e-9)
    y_dir = np.array([-x_dir[1], x_dir[0]])
    if (pts[12] - origin) @ y_dir < 0:                       # the lower lid's middle is below
        y_dir = -y_dir
    rel = pts - origin
    x, y = rel @ x_dir, rel @ y_dir
    upper = np.r_[0, 1:9]                                    # corner, upper lid, corner
    lower = np.r_[0, 15:8:-1, 8]                             # corner, lower lid, corner
    uo, lo = np.argsort(x[upper]), np.argsort(x[lower])
    return origin, x_dir, y_dir, (x[upper][uo], y[upper][uo], x[lower][lo], y[lower][lo])


def _lids_at(x: np.ndarray, lids: tuple) -> tuple[np.ndarray, np.ndarray]:
    xu, yu, xl, yl = lids
    return np.interp(x, xu, yu), np.interp(x, xl, yl)


def eye_ring_points(landmarks: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """[2, EYE_RING, 2] px: each eye's inner ring placed about its iris centre in the eye's own
    frame: across (along the corners' axis) at fixed offsets from the centre (the iris moves as a
    whole), up and down at fixed shares of the way from the upper to the lower lid, shifted by as
    much as the centre's share shifted (so the ring never leaves the opening, and closes with it).
    landmarks: [478, >=2] px; ring: [2, EYE_RING, 4] (offset across px, lid share, the centre's
    lid share and the opening at the centre in px, both in the source)."""
    out = np.empty((2, ring.shape[1], 2))
    for e, (centre_id, loop) in enumerate(EYE_LOOPS):
        origin, x_dir, y_dir, lids = _eye_frame(landmarks, loop)
        c = landmarks[centre_id, :2].astype(np.float64) - origin
        cx, cy = float(c @ x_dir), float(c @ y_dir)
        up, lo = _lids_at(np.array([cx]), lids)
        share_c = (cy - up[0]) / (lo[0] - up[0]) if lo[0] - up[0] > 1e-6 else 0.5
        span = lids[0][-1] - lids[0][0]
        x = np.clip(cx + ring[e, :, 0], lids[0][0] + 0.02 * span, lids[0][-1] - 0.02 * span)
        # a closing eye: each ring point slides across to face its own lid point, so that the fan
        # folds flat with the lids (they curve the other way once shut)
        closing = np.clip(1.0 - (lo[0] - up[0]) / max(EYE_CLOSING_FROM * ring[e, 0, 3], 1e-6), 0.0, 1.0)
        if closing > 0.0:
            facing = landmarks[[loop[(8 + 2 * k) % len(loop)] for k in range(ring.shape[1])], :2] - origin
            x += closing * (facing @ x_dir - x)
        share = np.clip(ring[e, :, 1] + (share_c - ring[e, :, 2]), EYE_RING_REACH_SHARE, 1 - EYE_RING_REACH_SHARE)
        up, lo = _lids_at(x, lids)
        y = up + share * np.maximum(lo - up, 0.0)
        out[e] = origin + x[:, None] * x_dir + y[:, None] * y_dir
    return out


def iris_radius_px(landmarks: np.ndarray, eye: int) -> float:
    """Mean distance of an eye's four iris ring landmarks from its centre (0 right, 1 left)."""
    iris = (topo.RIGHT_IRIS, topo.LEFT_IRIS)[eye]
    return float(np.linalg.norm(landmarks[list(iris[1:]), :2] - landmarks[iris[0], :2], axis=1).mean())


def _eye_ring(landmarks: np.ndarray) -> np.ndarray:
    """[2, EYE_RING, 4]: inner ring points just outside each iris's edge, evenly round it (from
    the second corner's side towards the lower lid, the order the fan is stitched in), as
    (offset across px, lid share, the centre's lid share, the opening there px) for
    `eye_ring_points`."""
    out = np.zeros((2, EYE_RING, 4), np.float64)
    for e, (centre_id, loop) in enumerate(EYE_LOOPS):
        origin, x_dir, y_dir, lids = _eye_frame(landmarks, loop)
        c = landmarks[centre_id, :2].astype(np.float64) - origin
        cx, cy = float(c @ x_dir), float(c @ y_dir)
        radius = iris_radius_px(landmarks, e)
        span = lids[0][-1] - lids[0][0]
        if not np.isfinite(radius) or radius <= 0:
            radius = 0.2 * span
        angles = 2 * np.pi * np.arange(EYE_RING) / EYE_RING
        x = np.clip(cx + EYE_RING_RADIUS * radius * np.cos(angles), lids[0][0] + 0.02 * span, lids[0][-1] - 0.02 * span)
        y = cy + EYE_RING_RADIUS * radius * np.sin(angles)
        up, lo = _lids_at(x, lids)
        share = (y - up) / np.maximum(lo - up, 1e-6)
        up_c, lo_c = _lids_at(np.array([cx]), lids)
        share_c = (cy - up_c[0]) / (lo_c[0] - up_c[0]) if lo_c[0] - up_c[0] > 1e-6 else 0.5
        out[e, :, 0] = x - cx
        out[e, :, 1] = np.clip(share, EYE_RING_REACH_SHARE, 1 - EYE_RING_REACH_SHARE)
        out[e, :, 2] = share_c
        out[e, :, 3] = lo_c[0] - up_c[0]
    return out


@functools.lru_cache(maxsize=1)
def _eye_triangles() -> tuple[np.ndarray, np.ndarray]:
    """Face triangles with the eye openings replaced by iris fans, indexed into
    [478 landmarks | outer rings | eye rings] with the eye ring points at -1 - (eye * EYE_RING + k)
    (resolved in `build_control_mesh`); and the depth landmark of each corner."""
    tris = canonical_mesh().triangles
    openings = [set(loop) for _, loop in EYE_LOOPS]
    keep = [not any(set(map(int, t)) <= o for o in openings) for t in tris]
    face = [tuple(map(int, t)) for t, k in zip(tris, keep) if k]
    depth = list(face)
    for e, (centre, loop) in enumerate(EYE_LOOPS):
        ring = [-1 - (e * EYE_RING + k) for k in range(EYE_RING)]
        for k in range(EYE_RING):
            face.append((centre, ring[k], ring[(k + 1) % EYE_RING]))
            depth.append((centre, centre, centre))
        # stitch the inner ring (EYE_RING) to the lid loop (16) by angle: the ring starts along
        # the axis from the first corner towards the second, i.e. at loop[8]'s side
        n = len(loop)
        order = [loop[(8 + j) % n] for j in range(n)]          # loop from the second corner on
        step = n // EYE_RING
        for k in range(EYE_RING):
            a, b = ring[k], ring[(k + 1) % EYE_RING]
            for j in range(step):
                p, q = order[(k * step + j) % n], order[(k * step + j + 1) % n]
                face.append((a, p, q) if j < step // 2 else (b, p, q))
                depth.append((centre, p, q))
            face.append((a, order[(k * step + step // 2) % n], b))
            depth.append((centre, order[(k * step + step // 2) % n], centre))
    return np.asarray(face, np.int64), np.asarray(depth, np.int64)


@functools.lru_cache(maxsize=1)
def _ring_triangles() -> np.ndarray:
    """Triangles of the strips oval->ring1->ring2->far, indexed into [landmarks | rings]."""
    oval = topo.face_oval_loop()
    n = len(oval)
    levels = [oval] + [topo.N_LANDMARKS + k * n + np.arange(n) for k in range(len(RING_SCALES) + 1)]
    tris = []
    for inner, outer in zip(levels[:-1], levels[1:]):
        for i in range(n):
            j = (i + 1) % n
            tris.append((inner[i], outer[i], outer[j]))
            tris.append((inner[i], outer[j], inner[j]))
    return np.asarray(tris, np.int32)


def build_control_mesh(landmarks_px: np.ndarray, image_size: tuple[int, int]) -> ControlMesh:
    """landmarks_px: [478, 3] px of the source face; image_size: (H, W)."""
    points = landmarks_px[: topo.N_LANDMARKS, :2].astype(np.float32)
    face = points[: topo.N_MESH]
    oval = topo.face_oval_loop()
    centre = face[oval].mean(0)
    offsets = face[oval] - centre
    rings, shares = [], []
    below = np.clip(offsets[:, 1] / np.abs(offsets[:, 1]).max(), 0, 1)  # 1 under the chin
    for scale, share in zip(RING_SCALES, RING_SHARES):
        rings.append(centre + scale * offsets)
        shares.append(share * (1.0 - (1.0 - NECK_SHARE) * below))
    far = FAR_RADIUS_FACTOR * float(np.hypot(*image_size))
    rings.append(centre + offsets / np.linalg.norm(offsets, axis=1, keepdims=True) * far)
    shares.append(np.zeros(len(oval), np.float32))
    eye_ring = _eye_ring(points)
    eye_points = eye_ring_points(points, eye_ring).reshape(-1, 2)
    face_tris, depth = _eye_triangles()
    behind = (face_tris < 0).any(1) | np.isin(face_tris, [c for c, _ in EYE_LOOPS]).any(1)
    first_eye = topo.N_LANDMARKS + len(oval) * len(rings)
    face_tris = np.where(face_tris < 0, first_eye - 1 - face_tris, face_tris)
    tris = np.concatenate([face_tris, _ring_triangles()]).astype(np.int32)
    return ControlMesh(
        points_src=np.concatenate([points] + rings + [eye_points]).astype(np.float32),
        triangles=tris,
        n_face=len(face_tris),
        depth_landmarks=depth.astype(np.int32),
        behind=behind,
        oval_of_point=np.tile(oval, len(rings)),
        share=np.concatenate(shares).astype(np.float32),
        eye_ring=eye_ring,
    )
