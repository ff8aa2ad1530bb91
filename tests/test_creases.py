"""Expression lines (render.creases): they appear where the motion folds the skin, in the right
place, only there, and not for a head turn or for speech alone."""
from __future__ import annotations

import numpy as np
import pytest

from emoface.render.creases import MIN_DEPTH, crease_depths, shade_creases
from emoface.rig.deform import deform, fit_face, rotate_about
from emoface.types import RigParams
from emoface.vocab import AU_IDS, AU_INDEX, MOUTH_CONTROLS, MOUTH_INDEX
from synthetic import canonical_face


def _params(au: dict, mouth: dict | None = None) -> RigParams:
    delta = np.zeros((len(AU_IDS), 2), np.float32)
    for k, v in au.items():
        delta[AU_INDEX[k]] = v
    controls = np.zeros(len(MOUTH_CONTROLS), np.float32)
    for k, v in (mouth or {}).items():
        controls[MOUTH_INDEX[k]] = v
    return RigParams(au_delta=delta, mouth=controls)


@pytest.fixture(scope="module")
def face():
    return canonical_face()


def _depths(face, au: dict, mouth: dict | None = None) -> dict[str, float]:
    fit = fit_face(face)
    moved = deform(face, _params(au, mouth), fit)
    return crease_depths(face.landmarks_px, moved, fit.down, fit.scale)


def _deep(depths: dict[str, float]) -> set[str]:
    return {name for name, d in depths.items() if d >= MIN_DEPTH}


def test_each_expression_folds_its_own_skin(face):
    assert _deep(_depths(face, {1: 4.0, 2: 4.0})) == {"brows_up"}
    # a frown draws the brows together and pulls their heads down onto the nose root; the worried
    # brow of fear and sadness (inner brows raised as well) has the vertical lines only
    assert _deep(_depths(face, {4: 4.0})) == {"brows_in", "brows_down"}
    assert _deep(_depths(face, {1: 5.0, 4: 5.0})) == {"brows_in", "brows_up"}
    assert _deep(_depths(face, {9: 4.0})) >= {"nose_up"}
    smile = _depths(face, {6: 3.0, 12: 5.0})
    assert {"cheek_fold_r", "cheek_fold_l", "cheeks_up_r", "cheeks_up_l"} <= _deep(smile)
    assert smile["nose_up"] < MIN_DEPTH and smile["brows_in"] < MIN_DEPTH
    # deeper with intensity
    assert _depths(face, {1: 2.0, 2: 2.0})["brows_up"] < _depths(face, {1: 4.0, 2: 4.0})["brows_up"]


def test_head_turn_and_speech_fold_nothing(face):
    fit = fit_face(face)
    turned = rotate_about(face.landmarks_px, np.array([0.15, 0.3, 0.1]), fit.head_pivot_px)
    assert _deep(crease_depths(face.landmarks_px, turned, fit.down, fit.scale)) == set()
    for mouth in ({"jaw_open": 1.0}, {"lip_pucker": 1.0}, {"lip_stretch": 1.0}, {"lip_press": 1.0}):
        assert _deep(_depths(face, {}, mouth)) == set(), mouth


def test_raised_brows_darken_the_forehead_only(face):
    fit = fit_face(face)
    moved = deform(face, _params({1: 4.0, 2: 4.0}), fit)
    frame = np.full((*face.image_size, 3), 180, np.uint8)
    shaded = shade_creases(frame.copy(), face.landmarks_px, moved, fit.down, fit.scale)
    darker = shaded.astype(int).sum(2) < frame.astype(int).sum(2) - 6
    rows = np.nonzero(darker.any(1))[0]
    brow_y = moved[[105, 334], 1].mean()
    assert len(rows) > 0 and rows.max() < brow_y                    # all above the brows
    assert rows.min() > moved[10, 1] - 0.3 * fit.scale              # below the hairline
    # nothing to fold: the frame comes back untouched
    same = shade_creases(frame.copy(), face.landmarks_px, face.landmarks_px, fit.down, fit.scale)
    assert np.array_equal(same, frame)


def test_lines_switch_turns_the_shading_off(face):
    """RenderSource(lines=False), the CLI's --no-lines: the same frame without the creases."""
    import dataclasses

    from emoface.render.compose import RenderSource, render_frame, warp_image

    fit = fit_face(face)
    image = np.full((*face.image_size, 3), 170, np.uint8)
    source = dataclasses.replace(RenderSource.create(image, face.landmarks_px, fit), eyes=())
    plain = dataclasses.replace(source, lines=False)            # (the brows move the lids: no eyeballs)
    moved = deform(face, _params({1: 4.0, 2: 4.0, 4: 3.0}), fit)
    with_lines, without = render_frame(source, moved), render_frame(plain, moved)
    assert (with_lines.astype(int).sum(2) < without.astype(int).sum(2) - 6).sum() > 50
    assert np.array_equal(without, warp_image(image, source.mesh, moved))   # no mouth moved either
