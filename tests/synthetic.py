"""Synthetic inputs with known geometry, shared by the rig and render tests."""
from __future__ import annotations

import numpy as np

from emoface.analyze import topology as topo
from emoface.analyze.canonical_mesh import canonical_mesh
from emoface.types import FaceAnalysis


def canonical_face(px_per_cm: float = 12.0, size: int = 320) -> FaceAnalysis:
    """The canonical mesh drawn frontally into a size x size image, irises (radius 0.55 cm) in
    the middle of the eyes; no media needed."""
    verts = canonical_mesh().vertices
    lm = np.zeros((topo.N_LANDMARKS, 3), np.float32)
    lm[: topo.N_MESH, 0] = size / 2 + px_per_cm * verts[:, 0]
    lm[: topo.N_MESH, 1] = size / 2 - px_per_cm * verts[:, 1]
    lm[: topo.N_MESH, 2] = -px_per_cm * verts[:, 2]
    for iris, eye in ((topo.RIGHT_IRIS, topo.RIGHT_EYE_UPPER + topo.RIGHT_EYE_LOWER),
                      (topo.LEFT_IRIS, topo.LEFT_EYE_UPPER + topo.LEFT_EYE_LOWER)):
        centre = lm[list(eye)].mean(0)
        lm[iris[0]] = centre
        r = 0.55 * px_per_cm
        lm[list(iris[1:])] = centre + np.array([[r, 0, 0], [0, -r, 0], [-r, 0, 0], [0, r, 0]], np.float32)
    return FaceAnalysis(lm, np.zeros(52, np.float32), np.eye(4, dtype=np.float32), (size, size))
