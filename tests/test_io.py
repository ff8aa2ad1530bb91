"""emoface.io.images: every input kind becomes RGB uint8 [H, W, 3]; writes are atomic."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emoface.errors import EmofaceError, InputError
from emoface.io.images import (
    MAX_PIXELS,
    atomic_output,
    check_output_path,
    image_format,
    load_image,
    save_image,
)


# --- load_image: files -------------------------------------------------------------------

def test_rgb_png_round_trips_exactly(tmp_path, tiny_rgb):
    path = tmp_path / "x.png"
    Image.fromarray(tiny_rgb).save(path)
    out = load_image(path)
    assert out.dtype == np.uint8 and out.shape == (24, 32, 3)
    np.testing.assert_array_equal(out, tiny_rgb)
    np.testing.assert_array_equal(load_image(str(path)), tiny_rgb)


def test_grayscale_file_becomes_rgb(tmp_path, tiny_rgb):
    gray = tiny_rgb[:, :, 0]
    Image.fromarray(gray).save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    assert out.shape == (24, 32, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_rgba_file_is_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200           # red
    rgba[0, 0, 3] = 255          # opaque -> red
    rgba[0, 1, 3] = 0            # transparent -> white
    rgba[0, 2, 3] = 128          # half -> between
    Image.fromarray(rgba).save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.shape == (4, 4, 3)
    assert tuple(out[0, 0]) == (200, 0, 0)
    assert tuple(out[0, 1]) == (255, 255, 255)
    assert abs(int(out[0, 2, 0]) - 228) <= 2 and abs(int(out[0, 2, 1]) - 127) <= 2


def test_la_and_palette_transparency_are_composited_on_white(tmp_path):
    la = Image.fromarray(np.array([[[0, 0], [0, 255]]], np.uint8), "LA")
    la.save(tmp_path / "la.png")
    assert load_image(tmp_path / "la.png").tolist() == [[[255, 255, 255], [0, 0, 0]]]

    pal = Image.new("P", (2, 1))
    pal.putpalette([0, 0, 255, 10, 20, 30] + [0] * 762)
    pal.putpixel((0, 0), 0)
    pal.putpixel((1, 0), 1)
    pal.save(tmp_path / "p.png", transparency=0)
    assert load_image(tmp_path / "p.png").tolist() == [[[255, 255, 255], [10, 20, 30]]]


def test_16bit_grayscale_is_scaled_to_8bit(tmp_path):
    values = np.array([[0, 257, 257 * 128, 65535]], np.uint16)
    Image.fromarray(values).save(tmp_path / "16.png")
    out = load_image(tmp_path / "16.png")
    assert out.shape == (1, 4, 3)
    assert out[0, :, 0].tolist() == [0, 1, 128, 255]


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    Image.new("CMYK", (8, 6), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    out = load_image(tmp_path / "c.jpg")
    assert out.shape == (6, 8, 3)
    assert out[..., 0].mean() > 200 and out[..., 1].mean() < 60  # red


def test_exif_orientation_is_applied(tmp_path, tiny_rgb):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    Image.fromarray(tiny_rgb).save(tmp_path / "r.jpg", exif=exif, quality=95)
    assert load_image(tmp_path / "r.jpg").shape == (32, 24, 3)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.png: no such file"):
        load_image(tmp_path / "nope.png")


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(InputError, match="not a regular file"):
        load_image(tmp_path)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n")
    with pytest.raises(InputError, match=r"notes\.png: not an image file"):
        load_image(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(InputError, match="empty.jpg"):
        load_image(tmp_path / "empty.jpg")


def test_truncated_file_names_the_file_and_why(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.png: damaged or unsupported image"):
        load_image(tmp_path / "cut.png")


def test_image_over_100_megapixels_is_refused_from_its_header(tmp_path, png_header_only):
    path = png_header_only(tmp_path / "huge.png", 11_000, 10_000)  # 110 MP, 100 bytes on disk
    assert path.stat().st_size < 1000
    with pytest.raises(InputError, match=r"11000x10000 = 110 megapixels; the limit is 100"):
        load_image(path)


def test_decompression_bomb_is_an_input_error(tmp_path, png_header_only):
    path = png_header_only(tmp_path / "bomb.png", 20_000, 20_000)  # beyond Pillow's own hard limit
    with pytest.raises(InputError, match="too large"):
        load_image(path)


def test_the_limit_is_inclusive(tmp_path, tiny_rgb, monkeypatch):
    Image.fromarray(tiny_rgb).save(tmp_path / "x.png")
    monkeypatch.setattr("emoface.io.images.MAX_PIXELS", 24 * 32)
    assert load_image(tmp_path / "x.png").shape == (24, 32, 3)
    monkeypatch.setattr("emoface.io.images.MAX_PIXELS", 24 * 32 - 1)
    with pytest.raises(InputError, match="32x24"):
        load_image(tmp_path / "x.png")


# --- load_image: arrays ------------------------------------------------------------------

def test_uint8_rgb_array_is_returned_unchanged(tiny_rgb):
    np.testing.assert_array_equal(load_image(tiny_rgb), tiny_rgb)


def test_array_kinds(tiny_rgb):
    gray = tiny_rgb[:, :, 1]
    np.testing.assert_array_equal(load_image(gray)[:, :, 2], gray)
    np.testing.assert_array_equal(load_image(gray[:, :, None])[:, :, 0], gray)
    np.testing.assert_array_equal(load_image(tiny_rgb.astype(np.float32) / 255.0), tiny_rgb)
    np.testing.assert_array_equal(load_image(tiny_rgb.astype(np.uint16) * 257), tiny_rgb)
    rgba = np.dstack([tiny_rgb, np.zeros(tiny_rgb.shape[:2], np.uint8)])
    assert (load_image(rgba) == 255).all()


@pytest.mark.parametrize("bad", [
    np.zeros((4, 4, 2), np.uint8),
    np.zeros((0, 4, 3), np.uint8),
    np.zeros((4,), np.uint8),
    np.zeros((4, 4, 3), np.complex64),
    np.full((4, 4, 3), np.nan, np.float32),
])
def test_bad_arrays_are_input_errors(bad):
    with pytest.raises(InputError):
        load_image(bad)


def test_huge_array_is_refused(monkeypatch):
    # no 100 MP allocation: lower the limit instead
    monkeypatch.setattr("emoface.io.images.MAX_PIXELS", 100)
    with pytest.raises(InputError, match="megapixels"):
        load_image(np.zeros((11, 10, 3), np.uint8))
    assert MAX_PIXELS == 100_000_000


# --- outputs -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [("a.png", "PNG"), ("a.JPG", "JPEG"), ("a.jpeg", "JPEG"), ("a.webp", "WEBP")])
def test_image_format_by_extension(name, fmt):
    assert image_format(name) == fmt


@pytest.mark.parametrize("name", ["a.bmp", "a.mp4", "a"])
def test_unknown_output_extension(name):
    with pytest.raises(InputError, match=r"use \.png"):
        image_format(name)


@pytest.mark.parametrize("ext, tol", [(".png", 0), (".jpg", 40), (".webp", 40)])
def test_save_image_formats(tmp_path, tiny_rgb, ext, tol):
    path = save_image(tmp_path / f"x{ext}", tiny_rgb)
    assert path == tmp_path / f"x{ext}"
    back = load_image(path)
    assert back.shape == tiny_rgb.shape
    assert np.abs(back.astype(int) - tiny_rgb).max() <= tol
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"x{ext}"]  # no temp file left


def test_save_image_replaces_an_existing_file(tmp_path, tiny_rgb):
    path = tmp_path / "x.png"
    path.write_bytes(b"old")
    save_image(path, tiny_rgb)
    np.testing.assert_array_equal(load_image(path), tiny_rgb)


def test_save_image_rejects_non_rgb_arrays(tmp_path, tiny_rgb):
    with pytest.raises(ValueError, match=r"RGB uint8 \[H, W, 3\]"):
        save_image(tmp_path / "x.png", tiny_rgb.astype(np.float32))
    assert not list(tmp_path.iterdir())


def test_save_image_into_missing_directory(tmp_path, tiny_rgb):
    with pytest.raises(InputError, match="does not exist"):
        save_image(tmp_path / "no" / "x.png", tiny_rgb)


def test_atomic_output_renames_on_success(tmp_path):
    final = tmp_path / "clip.mp4"
    with atomic_output(final) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp.exists()
        assert not final.exists()
        tmp.write_bytes(b"data")
    assert final.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_atomic_output_honours_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "x.bin") as tmp:
            tmp.write_bytes(b"1")
    finally:
        os.umask(old)
    assert (tmp_path / "x.bin").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_atomic_output_cleans_up_on_failure(tmp_path, exc):
    final = tmp_path / "x.png"
    final.write_bytes(b"previous")
    with pytest.raises(type(exc)):
        with atomic_output(final) as tmp:
            tmp.write_bytes(b"half")
            raise exc
    assert final.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_atomic_output_in_missing_directory(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        with atomic_output(tmp_path / "missing" / "x.png"):
            pass


def test_check_output_path(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(b"x")
    assert check_output_path(tmp_path / "out.png", inputs=(src,)) == tmp_path / "out.png"
    assert check_output_path("relative.png") == Path("relative.png")
    for same in (src, tmp_path / "." / "in.png", tmp_path / "sub" / ".." / "in.png"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(InputError, match="refusing to overwrite the input file"):
            check_output_path(same, inputs=(src,))
    (tmp_path / "link.png").symlink_to(src)
    os.link(src, tmp_path / "hard.png")
    for alias in ("link.png", "hard.png"):
        with pytest.raises(InputError, match="refusing"):
            check_output_path(tmp_path / alias, inputs=(src,))
    with pytest.raises(InputError, match="is a directory"):
        check_output_path(tmp_path, inputs=(src,))
    with pytest.raises(InputError, match="does not exist"):
        check_output_path(tmp_path / "nodir" / "x.png")


def test_input_errors_are_emoface_errors():
    assert issubclass(InputError, EmofaceError)
