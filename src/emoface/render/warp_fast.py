"""Fast backward warp: the reference algorithm compiled with numba, over moved triangles only.

A triangle none of whose corners moved maps identically, and so does everything outside the
union of moved triangles (its boundary edges have unmoved ends), so only triangles touching a
moved point are rasterised onto an identity map. Same maths and tie rules as
`warp_reference.backward_map_reference`; tests hold the two to each other.
"""
from __future__ import annotations

import functools

import numba
import numpy as np

from .warp_reference import INSIDE_EPS

MOVED_EPS_PX = 1e-3


@numba.njit(cache=True, nogil=True)
def _rasterise(dst, src, triangles, depth, active, map_x, map_y, zbuf):  # pragma: no cover - jit
    height, width = map_x.shape
    for t in range(triangles.shape[0]):
        if not active[t]:
            continue
        ia, ib, ic = triangles[t, 0], triangles[t, 1], triangles[t, 2]
        ax, ay = np.float64(dst[ia, 0]), np.float64(dst[ia, 1])
        bx, by = np.float64(dst[ib, 0]), np.float64(dst[ib, 1])
        cx, cy = np.float64(dst[ic, 0]), np.float64(dst[ic, 1])
        area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
        if abs(area) < 1e-12:
            continue
        x0 = max(int(np.floor(min(ax, bx, cx))), 0)
        x1 = min(int(np.ceil(max(ax, bx, cx))), width - 1)
        y0 = max(int(np.floor(min(ay, by, cy))), 0)
        y1 = min(int(np.ceil(max(ay, by, cy))), height - 1)
        z = depth[t]
        # barycentric weights are affine in the pixel position: w = w0 + wx * px + wy * py
        inv = 1.0 / area
        wa0, wax, way = (bx * cy - by * cx) * inv, (by - cy) * inv, (cx - bx) * inv
        wb0, wbx, wby = (cx * ay - cy * ax) * inv, (cy - ay) * inv, (ax - cx) * inv
        sax, sbx, scx = np.float64(src[ia, 0]), np.float64(src[ib, 0]), np.float64(src[ic, 0])
        say, sby, scy = np.float64(src[ia, 1]), np.float64(src[ib, 1]), np.float64(src[ic, 1])
        for py in range(y0, y1 + 1):
            # the row's span inside the triangle (edges crossing this row), then test exactly
            lo, hi = 1e30, -1e30
            for ex0, ey0, ex1, ey1 in ((ax, ay, bx, by), (bx, by, cx, cy), (cx, cy, ax, ay)):
                if (ey0 <= py <= ey1) or (ey1 <= py <= ey0):
                    if ey1 == ey0:
                        lo, hi = min(lo, ex0, ex1), max(hi, ex0, ex1)
                    else:
                        x = ex0 + (py - ey0) * (ex1 - ex0) / (ey1 - ey0)
                        lo, hi = min(lo, x), max(hi, x)
            if lo > hi:
                continue
            ra, rb = wa0 + way * py, wb0 + wby * py
            for px in range(max(x0, int(np.floor(lo)) - 1), min(x1, int(np.ceil(hi)) + 1) + 1):
                wa = ra + wax * px
                wb = rb + wbx * px
                wc = 1.0 - wa - wb
                if wa < -INSIDE_EPS or wb < -INSIDE_EPS or wc < -INSIDE_EPS:
                    continue
                if z >= zbuf[py, px]:
                    continue
                zbuf[py, px] = z
                map_x[py, px] = wa * sax + wb * sbx + wc * scx
                map_y[py, px] = wa * say + wb * sby + wc * scy


@functools.lru_cache(maxsize=8)
def _identity(height: int, width: int):
    map_y, map_x = np.mgrid[0:height, 0:width].astype(np.float32)
    return map_x, map_y


def backward_map(dst: np.ndarray, src: np.ndarray, triangles: np.ndarray, depth: np.ndarray,
                 size: tuple[int, int]):
    """Same contract as `backward_map_reference`: -> (map_x, map_y) [H, W] float32 px."""
    height, width = size
    ident_x, ident_y = _identity(height, width)
    map_x, map_y = ident_x.copy(), ident_y.copy()
    moved = np.abs(dst - src).max(axis=1) > MOVED_EPS_PX
    active = moved[triangles].any(axis=1)
    if active.any():
        zbuf = np.full((height, width), np.inf, np.float32)
        _rasterise(dst.astype(np.float32), src.astype(np.float32), triangles, depth.astype(np.float32),
                   active, map_x, map_y, zbuf)
    return map_x, map_y
