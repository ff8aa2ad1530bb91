"""Shared fixtures: the development media folder, small synthetic images, the CLI runner.

Media: `../shared/media` next to the repository (override with EMOFACE_MEDIA=/path/to/media);
tests that need it are skipped when it is absent (e.g. a fresh clone in CI).
"""
from __future__ import annotations

import importlib.util
import os
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("emoface") is None:  # running from a checkout without `pip install -e`
    sys.path.insert(0, str(REPO / "src"))

PORTRAIT = "images/white_young_woman_elizabeth_olsen.jpg"  # 624x624, one frontal face


def media_root() -> Path:
    """The shared media folder: $EMOFACE_MEDIA, else <repo>/../shared/media."""
    override = os.environ.get("EMOFACE_MEDIA")
    return Path(override) if override else Path(__file__).parents[2] / "shared" / "media"


def pytest_terminal_summary(terminalreporter) -> None:
    """Say at the end (also under -q) when the tests that need the shared media were skipped."""
    root = media_root()
    if not root.is_dir():
        terminalreporter.write_line(
            f"emoface: no shared media at {root}: the tests that need real portraits and videos were "
            f"skipped (set EMOFACE_MEDIA=/path/to/media to run them)")


@pytest.fixture(scope="session")
def media_dir() -> Path:
    """The shared media folder; skips the test when it is not there."""
    root = media_root()
    if not root.is_dir():
        pytest.skip(f"shared media not found at {root} (set EMOFACE_MEDIA)")
    return root


@pytest.fixture(scope="session")
def portrait_path(media_dir: Path) -> Path:
    """A real close-up portrait (RGB JPEG, 624x624) from the shared media."""
    path = media_dir / PORTRAIT
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


@pytest.fixture(scope="session")
def astronaut_rgb() -> np.ndarray:
    """scikit-image's astronaut: RGB uint8 [512, 512, 3], one face ~90 px wide (always available)."""
    import skimage.data

    return skimage.data.astronaut()


@pytest.fixture
def tiny_rgb() -> np.ndarray:
    """A synthetic RGB uint8 [24, 32, 3] image with distinct values in every pixel and channel."""
    y, x = np.mgrid[0:24, 0:32]
    return np.stack([x * 8, y * 10, (x + y) * 4], axis=-1).astype(np.uint8)


@pytest.fixture
def png_header_only():
    """make(path, width, height): a PNG whose header claims width x height (8-bit RGB) but
    holds one row of pixels (~100 bytes), for size checks without allocating the image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    def make(path: Path, width: int, height: int) -> Path:
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        idat = zlib.compress(b"\x00" * (1 + 3 * width))
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
        return path

    return make


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty folder for outputs (a sibling of the inputs in tmp_path)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def needs_core():
    """Skip until the lead's `emoface.pipeline` exists (real analysis + rendering)."""
    pytest.importorskip("emoface.pipeline", reason="emoface.pipeline (the core) is not written yet")


@pytest.fixture
def run_cli(capsys):
    """Run `emoface.cli.main(argv)` in-process -> (exit status, stdout, stderr)."""
    from emoface.cli import main

    def run(*argv: str | os.PathLike) -> tuple[int, str, str]:
        status = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
