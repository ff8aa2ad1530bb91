"""Reference backward warp: plain numpy, one triangle at a time. Slow and obvious.

For every output pixel p inside a deformed triangle (a, b, c) with barycentric weights
(wa, wb, wc), the source position is wa*A + wb*B + wc*C where A, B, C are the triangle's
undeformed corners. Where triangles overlap (a fold), the one with the smallest depth wins.
Pixels covered by no triangle keep the identity map.

Convention: maps are [H, W] float32 px, pixel centres at integer coordinates.
"""
from __future__ import annotations

import numpy as np

INSIDE_EPS = 1e-6


def backward_map_reference(dst: np.ndarray, src: np.ndarray, triangles: np.ndarray,
                           depth: np.ndarray, size: tuple[int, int]):
    """dst, src: [N, 2] px; triangles: [M, 3]; depth: [M]; size (H, W) -> (map_x, map_y)."""
    height, width = size
    map_y, map_x = np.mgrid[0:height, 0:width].astype(np.float32)
    zbuf = np.full((height, width), np.inf, np.float32)
    for t, (ia, ib, ic) in enumerate(triangles):
        a, b, c = dst[ia].astype(np.float64), dst[ib].astype(np.float64), dst[ic].astype(np.float64)
        area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        if abs(area) < 1e-12:
            continue
        x0, x1 = max(int(np.floor(min(a[0], b[0], c[0]))), 0), min(int(np.ceil(max(a[0], b[0], c[0]))), width - 1)
        y0, y1 = max(int(np.floor(min(a[1], b[1], c[1]))), 0), min(int(np.ceil(max(a[1], b[1], c[1]))), height - 1)
        if x0 > x1 or y0 > y1:
            continue
        py, px = np.mgrid[y0:y1 + 1, x0:x1 + 1].astype(np.float64)
        wa = ((b[0] - px) * (c[1] - py) - (b[1] - py) * (c[0] - px)) / area
        wb = ((c[0] - px) * (a[1] - py) - (c[1] - py) * (a[0] - px)) / area
        wc = 1.0 - wa - wb
        inside = (wa >= -INSIDE_EPS) & (wb >= -INSIDE_EPS) & (wc >= -INSIDE_EPS)
        inside &= depth[t] < zbuf[y0:y1 + 1, x0:x1 + 1]
        sx = wa * src[ia, 0] + wb * src[ib, 0] + wc * src[ic, 0]
        sy = wa * src[ia, 1] + wb * src[ib, 1] + wc * src[ic, 1]
        map_x[y0:y1 + 1, x0:x1 + 1][inside] = sx[inside]
        map_y[y0:y1 + 1, x0:x1 + 1][inside] = sy[inside]
        zbuf[y0:y1 + 1, x0:x1 + 1][inside] = depth[t]
    return map_x, map_y
