"""Labelled contact sheets: one portrait rendered over a grid of emotions (rows) x levels (columns).

`contact_sheet` only lays out images it is given (pure, no models); `expression_grid` analyses a
portrait once, crops it around the face, and renders every cell through `emoface.pipeline`.

Convention: images are RGB uint8 `[H, W, 3]`; boxes are (x0, y0, x1, y1) in integer px,
x1/y1 exclusive, origin at the top-left corner.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..vocab import EMOTIONS

GRID_LEVELS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 4.0)
THUMB_PX = 256        # default cell size (long side) in px
FACE_CROP_SCALE = 1.7  # crop side / landmark bounding-box side (room for a dropped jaw)
MIN_RENDER_FACE_PX = 128  # never analyse/render a face smaller than this for a thumbnail

_BACKGROUND = (255, 255, 255)
_INK = (30, 30, 30)


def contact_sheet(
    cells: Sequence[Sequence[np.ndarray]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str | None = None,
    pad_px: int = 6,
) -> np.ndarray:
    """Lay out equally sized images in a grid with row labels (left) and column labels (top).

    cells:      R rows of C images, each RGB uint8 [h, w, 3], all the same shape.
    row_labels: R strings; col_labels: C strings; title: optional line above everything.
    pad_px:     gap between cells in px.
    Returns RGB uint8 [H, W, 3] on a white background.
    """
    n_rows, n_cols = len(cells), len(cells[0]) if cells else 0
    if n_rows == 0 or n_cols == 0:
        raise ValueError("contact_sheet needs at least one cell")
    if len(row_labels) != n_rows or len(col_labels) != n_cols:
        raise ValueError(f"{n_rows}x{n_cols} cells but {len(row_labels)} row and {len(col_labels)} column labels")
    h, w = cells[0][0].shape[:2]
    if any(len(row) != n_cols or cell.shape != (h, w, 3) for row in cells for cell in row):
        raise ValueError(f"every row needs {n_cols} cells of shape {(h, w, 3)}")

    font = ImageFont.load_default(size=max(12, round(min(h, w) / 11)))
    title_font = ImageFont.load_default(size=max(14, round(min(h, w) / 9)))
    draw_probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def text_size(text: str, f) -> tuple[int, int]:
        x0, y0, x1, y1 = draw_probe.textbbox((0, 0), text, font=f)
        return x1 - x0, y1 - y0

    label_w = max(text_size(t, font)[0] for t in row_labels) + 3 * pad_px
    header_h = max(text_size(t, font)[1] for t in col_labels) + 3 * pad_px
    title_h = text_size(title, title_font)[1] + 3 * pad_px if title else 0

    sheet_w = label_w + n_cols * (w + pad_px)  # a pad_px margin after the last column
    sheet_h = title_h + header_h + n_rows * (h + pad_px)
    sheet = Image.new("RGB", (sheet_w, sheet_h), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((pad_px * 2, pad_px * 2), title, fill=_INK, font=title_font)
    for c, label in enumerate(col_labels):
        x = label_w + c * (w + pad_px) + w // 2
        draw.text((x, title_h + header_h // 2), label, fill=_INK, font=font, anchor="mm")
    for r, label in enumerate(row_labels):
        y = title_h + header_h + r * (h + pad_px)
        draw.text((label_w - 2 * pad_px, y + h // 2), label, fill=_INK, font=font, anchor="rm")
        for c, cell in enumerate(cells[r]):
            sheet.paste(Image.fromarray(np.ascontiguousarray(cell)), (label_w + c * (w + pad_px), y))
    return np.asarray(sheet)


def face_crop_box(
    landmarks_px: np.ndarray, image_hw: tuple[int, int], scale: float = FACE_CROP_SCALE
) -> tuple[int, int, int, int]:
    """Square box around a face, `scale` times the landmarks' extent, moved inside the image.

    landmarks_px: [N, 2+] px (x, y first). image_hw: (height, width) px.
    Returns (x0, y0, x1, y1) px; the side shrinks to the image's short side if needed.
    """
    height, width = image_hw
    lo, hi = landmarks_px[:, :2].min(axis=0), landmarks_px[:, :2].max(axis=0)
    cx, cy = (lo + hi) / 2.0
    side = int(round(min(scale * float((hi - lo).max()), height, width)))
    x0 = int(np.clip(round(cx - side / 2.0), 0, width - side))
    y0 = int(np.clip(round(cy - side / 2.0), 0, height - side))
    return x0, y0, x0 + side, y0 + side


def _resize(rgb: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """RGB uint8 [h, w, 3] -> [size_wh[1], size_wh[0], 3], Lanczos."""
    if rgb.shape[1::-1] == tuple(size_wh):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize(size_wh, Image.Resampling.LANCZOS))


def _level_label(level: float) -> str:
    return f"level {level:g}"


def expression_grid(
    image: np.ndarray,
    emotions: Sequence[str] = EMOTIONS,
    levels: Sequence[float] = GRID_LEVELS,
    aus: dict | None = None,
    thumb_px: int = THUMB_PX,
    crop: str = "face",
    title: str | None = None,
    progress: bool = False,
    lines: bool = True,
) -> np.ndarray:
    """Render `image` for every (emotion, level) pair and lay the results out as a contact sheet.

    image:    RGB uint8 [H, W, 3] portrait.
    emotions: row order; levels: column order (>= 0); aus: per-AU edits applied to every cell
              (as in `emoface.express`).
    thumb_px: long side of each cell in px.
    crop:     "face" crops a square around the face (the sheet is about expressions);
              "full" keeps the whole frame.
    progress: show a tqdm bar on stderr.
    lines:    shade expression lines (`render.creases`); False warps only.
    Returns RGB uint8 [H', W', 3]. Raises `NoFaceError` / `InputError` like `emoface.express`.

    The face is found on the full image to place the crop; `pipeline.prepare` then analyses the
    crop once and scales it to about thumbnail size (keeping the face at least
    `MIN_RENDER_FACE_PX` wide), so the len(emotions) x len(levels) renders stay cheap however
    large the source is.
    """
    from tqdm import tqdm

    from ..analyze.landmarker import analyze_image
    from ..pipeline import prepare, render_expression

    if crop not in ("face", "full"):
        raise ValueError(f"crop must be 'face' or 'full', not {crop!r}")
    analysis = analyze_image(image)
    work = image
    if crop == "face":
        x0, y0, x1, y1 = face_crop_box(analysis.landmarks_px, image.shape[:2])
        work = image[y0:y1, x0:x1]
    long_side = max(work.shape[:2])
    scale = max(thumb_px / long_side, MIN_RENDER_FACE_PX / max(analysis.face_width_px, 1.0))
    render_side = max(64, round(long_side * scale)) if scale < 1.0 else None
    prepared = prepare(np.ascontiguousarray(work), size=render_side, lines=lines)
    height, width = prepared.image.shape[:2]
    ratio = thumb_px / max(height, width)
    thumb_wh = (max(1, round(width * ratio)), max(1, round(height * ratio)))

    cells: list[list[np.ndarray]] = [[] for _ in emotions]
    bar = tqdm(total=len(emotions) * len(levels), desc="emoface grid", unit="cell", disable=not progress)
    with bar:
        for r, emotion in enumerate(emotions):
            for level in levels:
                rendered = render_expression(prepared, emotion, float(level), aus)
                cells[r].append(_resize(rendered, thumb_wh))
                bar.update(1)
    return contact_sheet(cells, list(emotions), [_level_label(v) for v in levels], title=title)
