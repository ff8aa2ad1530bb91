"""Small golden images: an unintended change to analysis, rig or renderer shows up as a PSNR drop.

Regenerate with `tests/golden/make_golden.py` after an intended change (and look at them)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from emoface.io import load_image

GOLDEN = Path(__file__).with_name("golden")
spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_golden)
MIN_PSNR_DB = 38.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


@pytest.mark.parametrize("name", sorted(make_golden.CASES))
def test_matches_golden(name):
    expected = load_image(GOLDEN / name)
    got = make_golden.render(name)
    assert got.shape == expected.shape
    assert psnr(got, expected) >= MIN_PSNR_DB


def test_golden_differs_from_source():
    """The goldens show an edit: a renderer that returned the source unchanged would fail the
    golden comparison (the source is further from each golden than MIN_PSNR_DB allows)."""
    import skimage.data

    from emoface.pipeline import _resize_long_side

    source = _resize_long_side(skimage.data.astronaut(), make_golden.SIZE)
    for name in make_golden.CASES:
        assert psnr(load_image(GOLDEN / name), source) < MIN_PSNR_DB - 2.0
