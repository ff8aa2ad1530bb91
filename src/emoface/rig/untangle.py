"""Undo folds in the deformed face mesh: no skin or lip triangle may turn over.

Where AU fields that each make sense meet head-on (a wide open smile relaxed to closed lips
pulls the corners in and down while the lower lip rises; sadness lowers the corners onto a
raised chin), the summed displacement can carry a vertex across its neighbours. The backward
warp then shows the folded triangle on top of its neighbours: a hard, stair-stepped edge in the
skin. `untangle` finds the triangles whose signed area flips (or collapses below a share of its
source area) and relaxes the displacement of their corners towards their neighbours' mean, a
few Laplacian steps (spreading over the fold's neighbours), until none is left. The lips' inner
three rings (shaped by `deform.coherent_lips` and `close_mouth`), the mouth corners and the lid
margins keep their displacement, so closures stay closed and the mouth's corners stay inside
the lips; the lips' outer edge may give way to the skin. Triangles of pinned vertices alone (the
mouth and eye openings, meant to collapse) are not judged. Never worse than its input: the
state with the fewest folds is returned.
"""
from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from ..analyze import topology as topo
from ..analyze.canonical_mesh import canonical_mesh

MIN_AREA_SHARE = 0.01   # a triangle crushed below this share of its source area counts as folded
MIN_SOURCE_AREA_PX = 0.25  # triangles smaller than this in the source are too small to judge
RELAX = 0.6             # per step, how far a folded corner's displacement moves to its neighbours' mean
MAX_STEPS = 30
PATIENCE = 3            # stop after this many steps without fewer folds (the rest cannot unfold)


def _pinned_vertices() -> set[int]:
    rings = topo.UPPER_LIP_RINGS[:-1] + topo.LOWER_LIP_RINGS[:-1]
    lips = {v for ring in rings for v in ring} | set(topo.MOUTH_CORNERS)
    return lips | set(topo.RIGHT_EYE_UPPER + topo.RIGHT_EYE_LOWER + topo.LEFT_EYE_UPPER + topo.LEFT_EYE_LOWER)


@functools.lru_cache(maxsize=1)
def _mesh() -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """(judged triangles [T, 3], pinned vertex mask [468], row-normalised adjacency [468, 468])."""
    tris = canonical_mesh().triangles.astype(np.int64)
    pinned = np.zeros(topo.N_MESH, bool)
    pinned[list(_pinned_vertices())] = True
    judged = ~pinned[tris].all(1)
    edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    edges = np.concatenate([edges, edges[:, ::-1]])
    adj = sp.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(topo.N_MESH,) * 2)
    adj.data[:] = 1.0
    deg = np.asarray(adj.sum(1)).ravel()
    return tris[judged], pinned, sp.diags(1.0 / np.maximum(deg, 1)) @ adj


def _signed_areas(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    return 0.5 * ((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])


def folded(source: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """[T] bool over the judged triangles: turned over or crushed. source, moved: [468, >=2] px."""
    tris = _mesh()[0]
    return _folded(_signed_areas(source[:, :2], tris), moved[:, :2], tris)


def _folded(before: np.ndarray, moved: np.ndarray, tris: np.ndarray) -> np.ndarray:
    after = _signed_areas(moved, tris) * np.sign(before)
    return (np.abs(before) > MIN_SOURCE_AREA_PX) & (after < MIN_AREA_SHARE * np.abs(before))


def untangle(source: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """[468, 2] px: `moved` with the displacement of folded triangles' free corners (and their
    neighbours) relaxed until no judged triangle folds; after MAX_STEPS, or PATIENCE steps
    without progress, the state with the fewest folds. source, moved: [468, >=2] px."""
    tris, pinned, neighbours = _mesh()
    src = source[: topo.N_MESH, :2].astype(np.float64)
    move = moved[: topo.N_MESH, :2].astype(np.float64) - src
    before = _signed_areas(src, tris)
    bad = _folded(before, src + move, tris)
    if not bad.any():
        return moved[: topo.N_MESH, :2].astype(np.float32)
    best, fewest, since = move.copy(), int(bad.sum()), 0
    for _ in range(MAX_STEPS - 1):
        free = np.zeros(topo.N_MESH, bool)
        free[tris[bad].ravel()] = True
        free |= (neighbours @ free.astype(np.float64)) > 0   # and their neighbours: the fold spreads out
        free &= ~pinned
        if not free.any():
            break
        target = neighbours @ move
        move[free] += RELAX * (target[free] - move[free])
        bad = _folded(before, src + move, tris)
        count = int(bad.sum())
        if count < fewest:
            best, fewest, since = move.copy(), count, 0
            if count == 0:
                break
        else:
            since += 1
            if since >= PATIENCE:
                break
    return (src + best).astype(np.float32)

