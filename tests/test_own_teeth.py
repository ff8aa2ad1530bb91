"""A portrait's own upper teeth are carried by the skull, not painted over (render/own_teeth.py):
where the biting edge is found, and that a smile showing teeth keeps its real teeth when the
mouth moves."""
from __future__ import annotations

import numpy as np
import pytest

from emoface.render.own_teeth import bite_fractions

TOOTH_L, DARK_L = 90.0, 10.0


def _columns(rows: list[tuple[int, int, float]], height: int = 20, width: int = 40) -> np.ndarray:
    """A Lab crop [height, width, 3]: every column has the same rows, (start, end, L*), grey."""
    lab = np.zeros((height, width, 3), np.float32)
    lab[..., 0] = 50.0
    for start, end, light in rows:
        lab[start:end, :, 0] = light
    return lab


def _edges(top: float, bottom: float, n: int = 11, width: int = 40):
    x = np.linspace(2, width - 3, n)
    return np.stack([x, np.full(n, top)], 1), np.stack([x, np.full(n, bottom)], 1)


def _is_tooth(lab: np.ndarray) -> np.ndarray:
    return lab[..., 0] > 70.0


def test_the_biting_edge_is_where_the_first_run_of_teeth_ends():
    """Upper teeth from the lip (row 2) to row 10, a dark gap, lower teeth below: the edge is at
    (10 - 2) / (17 - 2) of the way to the lower lip, to within one sample (0.5 px)."""
    lab = _columns([(2, 10, TOOTH_L), (10, 13, DARK_L), (13, 17, TOOTH_L)])
    upper, lower = _edges(2.0, 17.0)
    frac = bite_fractions(lab, upper, lower, _is_tooth, crown_px=100.0)
    assert np.isnan(frac[0]) and np.isnan(frac[-1])          # corner columns are skipped
    assert np.allclose(frac[1:-1], 8.0 / 15.0, atol=0.5 / 15.0 + 1e-3)


def test_teeth_closed_together_stop_at_the_longest_upper_crown():
    """Teeth from lip to lip (the rows meet, no gap): the upper row is cut at crown_px."""
    lab = _columns([(0, 20, TOOTH_L)])
    upper, lower = _edges(2.0, 17.0)
    frac = bite_fractions(lab, upper, lower, _is_tooth, crown_px=6.0)
    assert np.allclose(frac[1:-1], 6.0 / 15.0, atol=1e-6)


def test_a_column_without_teeth_has_no_edge():
    lab = _columns([(2, 17, DARK_L)])
    upper, lower = _edges(2.0, 17.0)
    assert np.isnan(bite_fractions(lab, upper, lower, _is_tooth, crown_px=6.0)).all()


@pytest.fixture(scope="module")
def smiling(astronaut_rgb):
    """scikit-image's astronaut, who smiles showing her upper teeth."""
    from emoface.pipeline import prepare

    return prepare(astronaut_rgb)


def test_a_moving_smile_keeps_its_own_teeth(smiling):
    """The jaw opens a little (the head still, so the skull does not move): where the source
    shows upper teeth and the moved lips still show them, the render shows the source's own pixels
    (mean difference 0.8 grey levels; the painted teeth before this differed by 82), not teeth
    painted over them."""
    import cv2

    from emoface.pipeline import render_params
    from emoface.render.mouth import inner_lip_polygon
    from emoface.rig.deform import deform
    from emoface.types import RigParams
    from emoface.vocab import MOUTH_CONTROLS, MOUTH_INDEX

    teeth = smiling.render_source.own_teeth
    assert teeth is not None
    mouth = np.zeros(len(MOUTH_CONTROLS), np.float32)
    mouth[MOUTH_INDEX["jaw_open"]] = 0.3
    params = RigParams(mouth=mouth)
    out = render_params(smiling, params)
    lm = deform(smiling.analysis, params, smiling.fit)
    inside = np.zeros(out.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(inner_lip_polygon(lm)).astype(np.int32)], 1)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8)).astype(bool)
    cover = np.zeros(out.shape[:2], np.float32)
    x0, y0 = teeth.origin.astype(int)
    h, w = teeth.cover.shape
    cover[y0:y0 + h, x0:x0 + w] = teeth.cover
    shown = inside & (cover > 0.95)
    assert shown.sum() > 80
    diff = np.abs(out[shown].astype(np.float32) - smiling.image[shown].astype(np.float32)).mean()
    assert diff < 8.0
