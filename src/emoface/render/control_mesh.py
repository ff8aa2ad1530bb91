"""The control mesh: the face mesh plus rings of points reaching beyond the face.

The 468-vertex face mesh ends at the face oval. Three rings around it (hair/forehead, ears,
neck, then the rest of the image) let a moving jaw or head bend the surrounding image smoothly:
each ring point follows its face-oval point by a share that falls off outwards, and the last ring
lies far outside the image and never moves. Rings are the oval scaled about its centroid, so the
strips between them never overlap.

The eyes: the face mesh spans each eye opening with triangles between the lids, so the iris
could only stretch with them. Here each opening is instead a fan around its iris: the iris
centre landmark (468 right, 473 left), an inner ring of EYE_RING points around it on the iris
edge (inside the opening), and the lid contour, stitched together. The inner ring keeps its
shape around the centre (the iris moves as a whole when the gaze shifts) but is drawn in towards
the centre where the lids come closer (a blink), so no triangle turns over.

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
EYE_RING_REACH = 0.75         # inner ring points stay within this share of the way to the lids
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
    oval_of_point: [R] int, which oval vertex each outer ring point follows.
    share: [R] float32, how much of that vertex's displacement it follows.
    eye_ring_offsets: [2, EYE_RING, 2] px, the inner ring points about their iris centre (source).
    """

    points_src: np.ndarray
    triangles: np.ndarray
    n_face: int
    depth_landmarks: np.ndarray
    oval_of_point: np.ndarray
    share: np.ndarray
    eye_ring_offsets: np.ndarray

    def points_dst(self, face_dst: np.ndarray) -> np.ndarray:
        """face_dst: [478, 2|3] deformed landmarks px -> [N, 2] deformed control points."""
        face_dst = face_dst[: topo.N_LANDMARKS, :2].astype(np.float32)
        src_face = self.points_src[: topo.N_LANDMARKS]
        moved = face_dst[self.oval_of_point] - src_face[self.oval_of_point]
        rings = self.points_src[topo.N_LANDMARKS: topo.N_LANDMARKS + len(self.share)] + self.share[:, None] * moved
        eyes = eye_ring_points(face_dst, self.eye_ring_offsets)
        return np.concatenate([face_dst, rings, eyes.reshape(-1, 2)]).astype(np.float32)


def _ray_exit(centre: np.ndarray, directions: np.ndarray, loop: np.ndarray) -> np.ndarray:
    """[K] distance from `centre` [2] along unit `directions` [K, 2] to where each ray leaves the
    closed polygon `loop` [L, 2] (the nearest crossing; inf if none)."""
    a, b = loop, np.roll(loop, -1, axis=0)
    e = b - a                                                  # [L, 2]
    w = a - centre                                             # [L, 2]
    den = directions[:, None, 0] * e[None, :, 1] - directions[:, None, 1] * e[None, :, 0]   # [K, L]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (w[None, :, 0] * e[None, :, 1] - w[None, :, 1] * e[None, :, 0]) / den            # along the ray
        u = (w[None, :, 0] * directions[:, None, 1] - w[None, :, 1] * directions[:, None, 0]) / den  # along the edge
    hit = (np.abs(den) > 1e-9) & (t > 1e-6) & (u >= -1e-6) & (u <= 1 + 1e-6)
    return np.where(hit, t, np.inf).min(1)


def eye_ring_points(landmarks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """[2, EYE_RING, 2] px: each eye's inner ring, its source offsets about the iris centre kept
    (rigid with the iris) but drawn in to within EYE_RING_REACH of the way to the lids.
    landmarks: [478, >=2] px; offsets: [2, EYE_RING, 2] px."""
    out = np.empty_like(offsets)
    for e, (centre_id, loop) in enumerate(EYE_LOOPS):
        centre = landmarks[centre_id, :2].astype(np.float64)
        length = np.linalg.norm(offsets[e], axis=1)
        direction = offsets[e] / np.maximum(length, 1e-9)[:, None]
        room = _ray_exit(centre, direction, landmarks[list(loop), :2].astype(np.float64))
        room = np.where(np.isfinite(room), room, 0.0)
        out[e] = centre + direction * np.minimum(length, EYE_RING_REACH * room)[:, None]
    return out


def iris_radius_px(landmarks: np.ndarray, eye: int) -> float:
    """Mean distance of an eye's four iris ring landmarks from its centre (0 right, 1 left)."""
    iris = (topo.RIGHT_IRIS, topo.LEFT_IRIS)[eye]
    return float(np.linalg.norm(landmarks[list(iris[1:]), :2] - landmarks[iris[0], :2], axis=1).mean())


def _eye_ring_offsets(landmarks: np.ndarray) -> np.ndarray:
    """[2, EYE_RING, 2] px: inner ring points on each iris's edge, evenly round it (starting along
    the eye's corner-to-corner axis), clipped to within EYE_RING_REACH of the way to the lids."""
    out = np.zeros((2, EYE_RING, 2), np.float32)
    for e, (centre_id, loop) in enumerate(EYE_LOOPS):
        axis = landmarks[loop[8], :2] - landmarks[loop[0], :2]
        base = np.arctan2(axis[1], axis[0])
        # turn from the second corner towards the lower lid (the order the fan is stitched in)
        low = landmarks[loop[12], :2] - landmarks[loop[0], :2]
        turn = 1.0 if axis[0] * low[1] - axis[1] * low[0] >= 0 else -1.0
        angles = base + turn * 2 * np.pi * np.arange(EYE_RING) / EYE_RING
        direction = np.stack([np.cos(angles), np.sin(angles)], 1)
        radius = iris_radius_px(landmarks, e)
        if not np.isfinite(radius) or radius <= 0:
            radius = 0.2 * float(np.linalg.norm(axis))
        out[e] = direction * radius
    ring = eye_ring_points(landmarks, out)
    centres = np.array([landmarks[c, :2] for c, _ in EYE_LOOPS])
    return (ring - centres[:, None]).astype(np.float32)


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
    eye_offsets = _eye_ring_offsets(points)
    eye_points = eye_ring_points(points, eye_offsets).reshape(-1, 2)
    face_tris, depth = _eye_triangles()
    first_eye = topo.N_LANDMARKS + len(oval) * len(rings)
    face_tris = np.where(face_tris < 0, first_eye - 1 - face_tris, face_tris)
    tris = np.concatenate([face_tris, _ring_triangles()]).astype(np.int32)
    return ControlMesh(
        points_src=np.concatenate([points] + rings + [eye_points]).astype(np.float32),
        triangles=tris,
        n_face=len(face_tris),
        depth_landmarks=depth.astype(np.int32),
        oval_of_point=np.tile(oval, len(rings)),
        share=np.concatenate(shares).astype(np.float32),
        eye_ring_offsets=eye_offsets,
    )
