"""Renderer known answers: identity, fast vs reference warp, locality, mouth interior."""
import numpy as np

from emoface.render.control_mesh import build_control_mesh
from emoface.render.warp_fast import backward_map
from emoface.render.warp_reference import backward_map_reference


def _mesh_case(rng, size=(96, 128), jitter=2.0):
    """A small synthetic mesh: a regular grid, interior points jittered (no folds)."""
    h, w = size
    ys, xs = np.mgrid[-10:h + 10:12, -10:w + 10:12]
    src = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    from scipy.spatial import Delaunay

    tris = Delaunay(src).simplices.astype(np.int32)
    dst = src.copy()
    inner = (src[:, 0] > 5) & (src[:, 0] < w - 5) & (src[:, 1] > 5) & (src[:, 1] < h - 5)
    dst[inner] += rng.uniform(-jitter, jitter, (inner.sum(), 2)).astype(np.float32)
    return src, dst, tris


def test_fast_warp_matches_reference():
    rng = np.random.default_rng(0)
    src, dst, tris = _mesh_case(rng)
    depth = np.zeros(len(tris), np.float32)
    fx, fy = backward_map(dst, src, tris, depth, (96, 128))
    rx, ry = backward_map_reference(dst, src, tris, depth, (96, 128))
    assert np.abs(fx - rx).max() < 1e-3 and np.abs(fy - ry).max() < 1e-3


def test_unmoved_mesh_is_identity():
    rng = np.random.default_rng(1)
    src, _, tris = _mesh_case(rng)
    mx, my = backward_map(src, src, tris, np.zeros(len(tris), np.float32), (96, 128))
    gy, gx = np.mgrid[0:96, 0:128]
    assert np.abs(mx - gx).max() < 1e-4 and np.abs(my - gy).max() < 1e-4


def test_warp_maps_moved_vertex_back_to_its_source():
    """A vertex displaced by (+3, -2) px: the output pixel there samples the source vertex."""
    rng = np.random.default_rng(2)
    src, dst, tris = _mesh_case(rng, jitter=0.0)
    k = int(np.argmin(np.hypot(src[:, 0] - 62, src[:, 1] - 50)))
    dst[k] += (3.0, -2.0)
    mx, my = backward_map(dst, src, tris, np.zeros(len(tris), np.float32), (96, 128))
    x, y = dst[k]
    xi, yi = int(round(x)), int(round(y))
    assert abs(mx[yi, xi] - (src[k, 0] + (xi - x))) < 0.8
    assert abs(my[yi, xi] - (src[k, 1] + (yi - y))) < 0.8


def test_control_mesh_covers_the_whole_image():
    """Every pixel lies in some control-mesh triangle, so no part of the frame is left unmapped."""
    from emoface.analyze.canonical_mesh import canonical_mesh

    verts = canonical_mesh().vertices
    landmarks = np.zeros((478, 3), np.float32)
    landmarks[:468, 0] = 100 + verts[:, 0] * 8
    landmarks[:468, 1] = 110 - verts[:, 1] * 8
    mesh = build_control_mesh(landmarks, (240, 200))
    # shift every control point by 1 px: a map covering every pixel moves every pixel by 1 px
    dst = mesh.points_src + np.float32([1.0, 0.0])
    mx, _ = backward_map(dst, mesh.points_src, mesh.triangles, np.zeros(len(mesh.triangles), np.float32), (240, 200))
    gx = np.mgrid[0:240, 0:200][1]
    assert np.allclose(mx, gx - 1.0, atol=1e-3)
