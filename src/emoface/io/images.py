"""Read and write still images at the package's edge.

Everything inside emoface sees RGB uint8 `[H, W, 3]`; this module turns whatever the user hands
us (a path in any format Pillow reads, or an array) into that, and writes results atomically so
that a failed or interrupted run never leaves a half-written file behind.

Convention: arrays are row-major `[H, W, C]`, channel order R, G, B, values 0-255.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import InputError

MAX_PIXELS = 100_000_000  # refuse images above ~100 megapixels (memory: ~300 MB as RGB uint8)

# Output formats chosen by file extension (lower case) -> Pillow format name.
IMAGE_FORMATS: dict[str, str] = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}

_WHITE = (255, 255, 255)


def load_image(source: str | os.PathLike | np.ndarray) -> np.ndarray:
    """Load an image as RGB uint8 `[H, W, 3]`.

    source: a path to any image Pillow can decode, or an array `[H, W]`, `[H, W, 1]`,
            `[H, W, 3]` or `[H, W, 4]` of uint8 (0-255), uint16 (0-65535) or float (0-1).

    EXIF orientation is applied; grayscale becomes RGB; images with transparency (RGBA, LA,
    palette with a transparent colour) are composited on white; 16-bit images are scaled to
    8 bits. Raises `InputError` for a missing, unreadable or non-image file, for an image over
    `MAX_PIXELS`, and for arrays of the wrong shape or dtype.
    """
    if isinstance(source, np.ndarray):
        return _rgb_from_array(source)
    path = Path(source)
    if not path.exists():
        raise InputError(f"cannot read {path}: no such file")
    if not path.is_file():
        raise InputError(f"cannot read {path}: not a regular file")
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 MP; our own limit (MAX_PIXELS) is checked just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:  # reads the header only
                _check_pixel_count(im.width, im.height, path)
                im.load()
                return _rgb_from_pil(ImageOps.exif_transpose(im))
    except Image.DecompressionBombError as exc:
        raise InputError(f"cannot read {path}: image too large ({exc})") from exc
    except PermissionError as exc:
        raise InputError(f"cannot read {path}: permission denied") from exc
    except Image.UnidentifiedImageError as exc:
        raise InputError(f"cannot read {path}: not an image file (or a format Pillow cannot decode)") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated/corrupt data, odd modes
        raise InputError(f"cannot read {path}: damaged or unsupported image ({exc})") from exc


def _check_pixel_count(width: int, height: int, what: object) -> None:
    if width * height > MAX_PIXELS:
        raise InputError(
            f"{what} is {width}x{height} = {width * height / 1e6:.0f} megapixels; "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels (downscale it first)"
        )


def _rgb_from_pil(im: Image.Image) -> np.ndarray:
    """Pillow image in any mode -> RGB uint8 [H, W, 3] (alpha composited on white)."""
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        return _rgb_from_array(np.asarray(im))
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    if has_alpha:
        rgba = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE + (255,)), rgba)
    return np.ascontiguousarray(np.asarray(im.convert("RGB"), dtype=np.uint8))


def _rgb_from_array(arr: np.ndarray) -> np.ndarray:
    """Array [H, W], [H, W, 1|3|4] (uint8, uint16, int32 16-bit, float 0-1) -> RGB uint8 [H, W, 3]."""
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)) or 0 in arr.shape:
        raise InputError(f"expected an image array [H, W], [H, W, 3] or [H, W, 4]; got shape {arr.shape}")
    _check_pixel_count(arr.shape[1], arr.shape[0], "the image")
    if arr.dtype == np.uint8:
        u8 = arr
    elif arr.dtype in (np.uint16, np.int32, np.int64):  # Pillow reads 16-bit PNG/TIFF as I;16 or I
        u8 = (np.clip(arr, 0, 65535).astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise InputError("the image array contains NaN or infinite values")
        u8 = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    else:
        raise InputError(f"unsupported image array dtype {arr.dtype} (use uint8, uint16 or float 0-1)")
    if u8.ndim == 2:
        u8 = np.repeat(u8[:, :, None], 3, axis=2)
    elif u8.shape[2] == 4:
        alpha = u8[:, :, 3:4].astype(np.float32) / 255.0
        u8 = (u8[:, :, :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(u8)


def image_format(path: str | os.PathLike) -> str:
    """Pillow format name for an output path, from its extension; `InputError` if unsupported."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        known = ", ".join(IMAGE_FORMATS)
        problem = f"unknown image extension '{suffix}'" if suffix else "no file extension"
        raise InputError(f"cannot write {path}: {problem} (use {known})")
    return IMAGE_FORMATS[suffix]


def check_output_path(
    output: str | os.PathLike, inputs: tuple[str | os.PathLike, ...] = ()
) -> Path:
    """Validate an output path before any work: its directory exists and it is no input file.

    Returns the output as a `Path`. Raises `InputError` if the directory is missing, the path is
    a directory, or it names (or hard-links to) one of `inputs`.
    """
    out = Path(output)
    if out.is_dir():
        raise InputError(f"cannot write {out}: it is a directory")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write {out}: the directory {parent} does not exist")
    for src in inputs:
        src = Path(src)
        same = out.resolve() == src.resolve()
        if not same and out.exists() and src.exists():
            same = os.path.samefile(out, src)
        if same:
            raise InputError(f"refusing to overwrite the input file {src}; choose another output path")
    return out


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Write a file atomically: yields a temporary path in the same directory as `path`.

    The temporary file exists (empty) and ends in the same extension as `path`, so writers that
    pick a format from the name work. On normal exit it is renamed over `path` (`os.replace`,
    atomic on one file system); on any exception (including KeyboardInterrupt) it is deleted and
    `path` is left untouched. The file gets ordinary permissions (0666 minus the umask).

        with atomic_output("out.mp4") as tmp:
            write_video(tmp, frames)
    """
    final = Path(path)
    parent = final.parent if str(final.parent) else Path(".")
    tmp = parent / f".{final.stem}.{secrets.token_hex(4)}.tmp{final.suffix}"
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileNotFoundError as exc:
        raise InputError(f"cannot write {final}: the directory {parent} does not exist") from exc
    except PermissionError as exc:
        raise InputError(f"cannot write {final}: no permission to create files in {parent}") from exc
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_image(path: str | os.PathLike, rgb: np.ndarray, quality: int = 95) -> Path:
    """Write RGB uint8 `[H, W, 3]` to `path` atomically; the format follows the extension.

    Supported: .png, .jpg/.jpeg, .webp (`quality` 1-100 applies to JPEG and WebP).
    Raises `InputError` for an unknown extension or when the file cannot be written.
    Returns the path written.
    """
    fmt = image_format(path)
    if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3):
        shape = getattr(rgb, "shape", None)
        raise ValueError(f"save_image expects RGB uint8 [H, W, 3]; got {type(rgb).__name__} {shape}")
    options = {"quality": int(quality)} if fmt in ("JPEG", "WEBP") else {}
    out = Path(path)
    try:
        with atomic_output(out) as tmp:
            Image.fromarray(np.ascontiguousarray(rgb)).save(tmp, format=fmt, **options)
    except OSError as exc:  # disk full, file system gone read-only, ...
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return out
