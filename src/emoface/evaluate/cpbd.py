"""CPBD sharpness: the cumulative probability of blur detection (Narvekar & Karam, IEEE TIP 2011).

A no-reference sharpness score in [0, 1]; higher is sharper. The algorithm, as published (and as
in the authors' MATLAB release, CPBDM v1.0):

1. Gray image, float [0, 255].
2. Edge pixels: Sobel gradient magnitude, kept where its square exceeds 4x the image mean of the
   squares (MATLAB's `edge(I, 'sobel')` default threshold), thinned to pixels that are local
   maxima horizontally or vertically.
3. Edge width (Marziliano et al. 2002) at each edge pixel whose gradient points along the row
   (gradient angle within 22.5 deg of 0 or 180 deg): walk left and right from the pixel along the
   row while the intensity keeps falling / rising (following the edge's direction) to the nearest
   local extrema; the width is the distance between them, at most 101 px each way.
4. The image is cut into 64x64 blocks (a partial block at the right/bottom border is dropped);
   a block is an *edge block* if more than 0.2% of its pixels are edge pixels. Each edge block
   gets a just-noticeable-blur width from its contrast (max - min gray): 5 px if <= 50, else 3 px.
5. For every measured edge in an edge block, the probability of detecting blur is
   P = 1 - exp(-|w / w_JNB| ** 3.6); CPBD = the fraction of those edges with P <= P_JNB = 63%
   (P rounded to whole percent, as the release's 101-bin histogram does).

Differences from the MATLAB release, deliberate and small: the gradient angle uses atan2 on
central differences everywhere (the release leaves angle 0 where the x-gradient is exactly zero);
the two walks run vectorised over the whole image (`edge_widths`), checked against the obvious
per-pixel loop (`edge_widths_reference`) in the tests. Returns NaN for an image with no edge
block (flat, or smaller than 64x64).

Convention: images are RGB uint8 [H, W, 3] or gray [H, W] (uint8 or float in [0, 255]).
"""
from __future__ import annotations

import numpy as np

BLOCK_PX = 64
EDGE_BLOCK_FRACTION = 0.002
BETA = 3.6
P_JNB_PERCENT = 63
JNB_CONTRAST = 50           # contrast <= 50 -> w_JNB = 5 px, else 3 px
MAX_WALK_PX = 101           # the release caps each side of an edge at 101 steps


def to_gray(image: np.ndarray) -> np.ndarray:
    """RGB uint8 [H, W, 3] (or gray [H, W]) -> gray float64 [H, W] in [0, 255] (ITU-R 601 weights,
    as MATLAB's rgb2gray)."""
    image = np.asarray(image)
    if image.ndim == 3:
        image = image[..., :3].astype(np.float64) @ np.array([0.2989, 0.5870, 0.1140])
    elif image.ndim != 2:
        raise ValueError(f"expected an image [H, W, 3] or [H, W], got shape {image.shape}")
    return image.astype(np.float64)


def sobel_edges(gray: np.ndarray) -> np.ndarray:
    """Thinned Sobel edge map, bool [H, W] (step 2 of the module docstring)."""
    from scipy.ndimage import correlate

    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64) / 8.0
    gx = correlate(gray, kx, mode="nearest")
    gy = correlate(gray, kx.T, mode="nearest")
    mag2 = gx * gx + gy * gy
    strong = mag2 > 4.0 * mag2.mean()
    pad = np.pad(mag2, 1)
    horizontal_max = (mag2 > pad[1:-1, :-2]) & (mag2 >= pad[1:-1, 2:])
    vertical_max = (mag2 > pad[:-2, 1:-1]) & (mag2 >= pad[2:, 1:-1])
    return strong & (horizontal_max | vertical_max)


def _edge_direction(gray: np.ndarray) -> np.ndarray:
    """int8 [H, W]: +1 where the gradient points right (angle ~0), -1 left (~180), 0 otherwise."""
    gy, gx = np.gradient(gray)
    angle = np.degrees(np.arctan2(gy, gx))
    quant = 45.0 * np.round(angle / 45.0)
    direction = np.zeros(gray.shape, np.int8)
    direction[(quant == 0) & ((gx != 0) | (gy != 0))] = 1
    direction[np.abs(quant) == 180] = -1
    return direction


def _run_start(step_ok: np.ndarray) -> np.ndarray:
    """For each column k: the first column of the run of consecutive True `step_ok` ending at k.

    step_ok: bool [H, W], step_ok[:, k] = the step from column k-1 to k continues the run
    (column 0 is always a run start). Returns int [H, W].
    """
    cols = np.broadcast_to(np.arange(step_ok.shape[1]), step_ok.shape)
    starts = np.where(step_ok, 0, cols)
    starts[:, 0] = 0
    return np.maximum.accumulate(starts, axis=1)


def edge_widths(gray: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Marziliano edge widths, vectorised: float64 [H, W], 0 where no width is measured.

    gray: [H, W] float in [0, 255]; edges: bool [H, W] (from `sobel_edges`). A width is measured
    at edge pixels off the image border whose gradient direction is along the row (step 3).
    """
    h, w = gray.shape
    widths = np.zeros((h, w))
    direction = _edge_direction(gray)
    inner = np.zeros((h, w), bool)
    inner[1:-1, 1:-1] = True
    for sign in (1, -1):
        at = edges & inner & (direction == sign)
        if not at.any():
            continue
        g = sign * gray  # a falling edge is a rising edge of the negated image
        rising = np.zeros((h, w), bool)
        rising[:, 1:] = g[:, 1:] > g[:, :-1]            # step k-1 -> k goes up
        left_start = _run_start(rising)                  # start of the rise ending at k
        # the rise starting at k: mirror the image, find starts, mirror back
        mirrored = np.zeros((h, w), bool)
        mirrored[:, 1:] = (g[:, ::-1][:, 1:] < g[:, ::-1][:, :-1])
        right_end = (w - 1) - _run_start(mirrored)[:, ::-1]
        r, c = np.nonzero(at)
        left = np.minimum(c - left_start[r, c - 1], MAX_WALK_PX)
        right = np.minimum(right_end[r, c + 1] - c, MAX_WALK_PX)
        widths[r, c] = left + right
    return widths


def edge_widths_reference(gray: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The same widths as `edge_widths`, by walking each edge pixel's row one step at a time
    (slow; the obvious reading of Marziliano's method, for testing the fast version)."""
    h, w = gray.shape
    widths = np.zeros((h, w))
    direction = _edge_direction(gray)
    for r in range(1, h - 1):
        for c in range(1, w - 1):
            sign = int(direction[r, c])
            if not edges[r, c] or sign == 0:
                continue
            g = sign * gray[r]
            left = 1
            k = c - 1
            while k - 1 >= 0 and g[k - 1] < g[k] and left < MAX_WALK_PX:
                k -= 1
                left += 1
            right = 1
            k = c + 1
            while k + 1 < w and g[k + 1] > g[k] and right < MAX_WALK_PX:
                k += 1
                right += 1
            widths[r, c] = left + right
    return widths


def cpbd(image: np.ndarray) -> float:
    """CPBD sharpness of one image, in [0, 1] (higher = sharper); NaN if it has no edge block.

    image: RGB uint8 [H, W, 3] or gray [H, W] in [0, 255]. At least 64x64 px to score.
    """
    gray = to_gray(image)
    edges = sobel_edges(gray)
    widths = edge_widths(gray, edges)
    bh, bw = gray.shape[0] // BLOCK_PX, gray.shape[1] // BLOCK_PX
    if bh == 0 or bw == 0:
        return float("nan")
    crop = (slice(0, bh * BLOCK_PX), slice(0, bw * BLOCK_PX))

    def blocks(a: np.ndarray) -> np.ndarray:  # [bh, bw, 64*64]
        return a[crop].reshape(bh, BLOCK_PX, bw, BLOCK_PX).swapaxes(1, 2).reshape(bh, bw, -1)

    g, e, wd = blocks(gray), blocks(edges), blocks(widths)
    is_edge_block = e.sum(-1) > EDGE_BLOCK_FRACTION * BLOCK_PX * BLOCK_PX
    contrast = np.floor(g.max(-1) - g.min(-1))
    w_jnb = np.where(contrast <= JNB_CONTRAST, 5.0, 3.0)
    measured = (wd > 0) & is_edge_block[..., None]
    if not measured.any():
        return float("nan")
    ratio = wd / w_jnb[..., None]
    p_blur = 1.0 - np.exp(-np.abs(ratio[measured]) ** BETA)
    percent = np.floor(p_blur * 100.0 + 0.5)  # MATLAB round: half away from zero (p >= 0)
    return float(np.mean(percent <= P_JNB_PERCENT))
