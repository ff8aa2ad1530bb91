"""The control mesh: the face mesh plus rings of points reaching beyond the face.

The 468-vertex face mesh ends at the face oval. Three rings around it (hair/forehead, ears,
neck, then the rest of the image) let a moving jaw or head bend the surrounding image smoothly:
each ring point follows its face-oval point by a share that falls off outwards, and the last ring
lies far outside the image and never moves. Rings are the oval scaled about its centroid, so the
strips between them never overlap.

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


@dataclass(frozen=True)
class ControlMesh:
    """points_src: [N, 2] px (468 face vertices first, then ring points).
    triangles: [M, 3] int32 (the 898 face triangles first).
    oval_of_point: [N - 468] int, which oval vertex each ring point follows.
    share: [N - 468] float32, how much of that vertex's displacement it follows.
    """

    points_src: np.ndarray
    triangles: np.ndarray
    oval_of_point: np.ndarray
    share: np.ndarray

    def points_dst(self, face_dst: np.ndarray) -> np.ndarray:
        """face_dst: [>=468, 2|3] deformed face landmarks px -> [N, 2] deformed control points."""
        face_dst = face_dst[: topo.N_MESH, :2]
        src_face = self.points_src[: topo.N_MESH]
        moved = face_dst[self.oval_of_point] - src_face[self.oval_of_point]
        rings = self.points_src[topo.N_MESH:] + self.share[:, None] * moved
        return np.concatenate([face_dst, rings]).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _ring_triangles() -> np.ndarray:
    """Triangles of the strips oval->ring1->ring2->far, indexed into [face | rings]."""
    oval = topo.face_oval_loop()
    n = len(oval)
    levels = [oval] + [topo.N_MESH + k * n + np.arange(n) for k in range(len(RING_SCALES) + 1)]
    tris = []
    for inner, outer in zip(levels[:-1], levels[1:]):
        for i in range(n):
            j = (i + 1) % n
            tris.append((inner[i], outer[i], outer[j]))
            tris.append((inner[i], outer[j], inner[j]))
    return np.asarray(tris, np.int32)


def build_control_mesh(landmarks_px: np.ndarray, image_size: tuple[int, int]) -> ControlMesh:
    """landmarks_px: [478, 3] px of the source face; image_size: (H, W)."""
    face = landmarks_px[: topo.N_MESH, :2].astype(np.float32)
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
    tris = np.concatenate([canonical_mesh().triangles, _ring_triangles()])
    return ControlMesh(
        points_src=np.concatenate([face] + rings).astype(np.float32),
        triangles=tris,
        oval_of_point=np.tile(oval, len(rings)),
        share=np.concatenate(shares).astype(np.float32),
    )
