"""Pure metrics over per-frame measurements: lip sync, landmark distance, image fidelity.

Everything here is a plain function over numpy arrays (no models, no files), so each metric can be
checked on inputs with known answers (tests/test_eval_metrics.py).

Convention: a *curve* is one value per frame, `[T]` float64, NaN where the frame had no face.
Landmarks are dlib's 68 iBUG points, `[T, 68, 2]` px (x, y), NaN for frames without a face.
Lags are in frames and follow one rule everywhere: `lag > 0` means the *output is late*, i.e.
output[t + lag] matches reference[t].
"""
from __future__ import annotations

import numpy as np

MIN_OVERLAP_FRAMES = 10   # fewer valid frame pairs than this -> r is NaN
DEFAULT_MAX_LAG = 10      # frames searched each way by `best_lag` (0.4 s at 25 fps)
MOUTH_POINTS = slice(48, 68)   # iBUG outer + inner lips
FACE_POINTS = slice(0, 68)


# --- lip sync ----------------------------------------------------------------------------

def mouth_curve(landmarks: np.ndarray) -> np.ndarray:
    """Mouth opening per frame from dlib landmarks.

    landmarks: [T, 68, 2] px, NaN rows for frames without a face.
    Returns [T] float64, inner-lip gap / inter-ocular distance (`judge.dlib_face.mouth_opening`),
    NaN where the frame has no face.
    """
    from ..judge.dlib_face import mouth_opening

    out = np.full(len(landmarks), np.nan)
    for t, lm in enumerate(landmarks):
        if np.isfinite(lm).all():
            out[t] = mouth_opening(lm)
    return out


def shifted_pair(reference: np.ndarray, output: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """The overlapping parts of reference[t] and output[t + lag] (any trailing shape).

    reference: [T_ref, ...]; output: [T_out, ...]. Returns two arrays of equal length
    max(0, min(T_ref, T_out - lag)) for lag >= 0 (symmetrically for lag < 0).
    """
    if lag >= 0:
        ref, out = reference, output[lag:]
    else:
        ref, out = reference[-lag:], output
    n = max(0, min(len(ref), len(out)))
    return ref[:n], out[:n]


def pearson_at_lag(reference: np.ndarray, output: np.ndarray, lag: int,
                   min_overlap: int = MIN_OVERLAP_FRAMES) -> float:
    """Pearson r of reference[t] vs output[t + lag] over the frames both have (NaNs dropped).

    reference, output: [T] curves. Returns NaN with fewer than `min_overlap` valid pairs or a
    constant curve.
    """
    a, b = shifted_pair(np.asarray(reference, np.float64), np.asarray(output, np.float64), lag)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < min_overlap or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def best_lag(reference: np.ndarray, output: np.ndarray,
             max_lag: int = DEFAULT_MAX_LAG) -> tuple[float, int]:
    """(r, lag): the highest Pearson r over lags -max_lag..+max_lag frames, and that lag.

    lag > 0 means the output is late (output[t + lag] ~ reference[t]). Ties go to the smaller
    |lag|. Returns (NaN, 0) when no lag gives a defined r.
    """
    best_r, best = float("nan"), 0
    for lag in sorted(range(-max_lag, max_lag + 1), key=lambda k: (abs(k), k)):
        r = pearson_at_lag(reference, output, lag)
        if np.isfinite(r) and (not np.isfinite(best_r) or r > best_r + 1e-12):
            best_r, best = r, lag
    return best_r, best


# --- landmarks ---------------------------------------------------------------------------

def similarity_fit(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares similarity (scale, rotation, translation) taking src points onto dst (Umeyama 1991).

    src, dst: [N, 2] px. Returns (scale, R [2, 2], t [2]) with dst ~ scale * src @ R.T + t;
    reflections are excluded.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s0, d0 = src - mu_s, dst - mu_d
    var_s = (s0 ** 2).sum() / len(src)
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = float((sig * d).sum() / var_s) if var_s > 0 else 1.0
    return scale, rot, mu_d - scale * mu_s @ rot.T


def align_landmarks(output: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each output frame's landmarks mapped onto the reference frame's by a similarity fit.

    output, reference: [T, 68, 2] px (paired frames; NaN rows where either has no face).
    Returns [T, 68, 2] px in the reference's image, NaN where either frame has no face.
    The fit uses all 68 points, so a pure shift, rotation or zoom of the whole face costs nothing.
    """
    aligned = np.full(np.shape(output), np.nan)
    for t, (o, r) in enumerate(zip(output, reference)):
        if np.isfinite(o).all() and np.isfinite(r).all():
            scale, rot, shift = similarity_fit(o, r)
            aligned[t] = scale * o @ rot.T + shift
    return aligned


def landmark_distance(aligned: np.ndarray, reference: np.ndarray, points: slice = FACE_POINTS) -> float:
    """LMD: mean Euclidean distance (px) between aligned output and reference landmarks.

    aligned, reference: [T, 68, 2] px (from `align_landmarks`); points: which of the 68 (e.g.
    `MOUTH_POINTS` for M-LMD, `FACE_POINTS` for F-LMD). Frames with NaNs are skipped; NaN if none.
    """
    a, r = aligned[:, points], reference[:, points]
    ok = np.isfinite(a).all(axis=(1, 2)) & np.isfinite(r).all(axis=(1, 2))
    if not ok.any():
        return float("nan")
    return float(np.linalg.norm(a[ok] - r[ok], axis=-1).mean())


def landmark_velocity_difference(aligned: np.ndarray, reference: np.ndarray,
                                 points: slice = FACE_POINTS) -> float:
    """LVD: mean Euclidean distance (px/frame) between frame-to-frame landmark velocities.

    aligned, reference: [T, 68, 2] px (from `align_landmarks`). For consecutive frames t, t+1
    that both have faces in both videos: |(a[t+1] - a[t]) - (r[t+1] - r[t])|, averaged over
    points and frame pairs. NaN with no such pair.
    """
    a, r = aligned[:, points], reference[:, points]
    va, vr = np.diff(a, axis=0), np.diff(r, axis=0)
    ok = np.isfinite(va).all(axis=(1, 2)) & np.isfinite(vr).all(axis=(1, 2))
    if not ok.any():
        return float("nan")
    return float(np.linalg.norm(va[ok] - vr[ok], axis=-1).mean())


# --- image fidelity ----------------------------------------------------------------------

def psnr_db(output_rgb: np.ndarray, reference_rgb: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two RGB uint8 [H, W, 3] images (peak 255); inf if equal."""
    diff = output_rgb.astype(np.float64) - reference_rgb.astype(np.float64)
    mse = float(np.mean(diff * diff))
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0 ** 2 / mse))


def ssim(output_rgb: np.ndarray, reference_rgb: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004; scikit-image, 7x7 window, per channel, mean) of two
    RGB uint8 [H, W, 3] images of the same shape; 1.0 when equal."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(output_rgb, reference_rgb, channel_axis=2, data_range=255))


def resize_to(rgb: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """RGB uint8 [h, w, 3] -> [size_wh[1], size_wh[0], 3] (area when shrinking, cubic otherwise)."""
    import cv2

    if rgb.shape[1::-1] == tuple(size_wh):
        return rgb
    shrink = size_wh[0] * size_wh[1] < rgb.shape[0] * rgb.shape[1]
    return cv2.resize(rgb, tuple(size_wh), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def finite_mean(values) -> float:
    """Mean of the finite values (NaN if there are none); inf is kept if every value is inf."""
    arr = np.asarray(list(values), np.float64)
    if arr.size and np.isposinf(arr).all():
        return float("inf")
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")
