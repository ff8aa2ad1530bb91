"""In a video the fold repair fades in and out over neighbouring frames instead of snapping."""
import numpy as np
import pytest

import emoface.rig.deform as deform_module
from emoface.rig.sequence import deform_sequence, repair_weights

pytestmark = pytest.mark.usefixtures("needs_core")
FPS = 25.0


@pytest.fixture(scope="module")
def painting(media_dir):
    """The imperial painting with its neutral and angry-3 rig params; angry 3 folds its skin."""
    from emoface.pipeline import expression_params, prepare

    prepared = prepare(media_dir / "images" / "painting_chinese_imperial_portrait.png")
    return prepared, expression_params(prepared, "neutral", 0.0), expression_params(prepared, "angry", 3.0)


def _repairs(prepared, frames):
    """[T, 468, 2] px the per-frame fold repair `deform` applies to each frame."""
    return np.stack([deform_module.fold_repair(prepared.analysis, deform_module.move_skin(prepared.analysis, p, prepared.fit))
                     for p in frames])


def test_weights_are_a_normalised_gaussian():
    w = repair_weights(25.0, 0.12)
    assert w.sum() == pytest.approx(1.0)
    assert len(w) % 2 == 1 and np.argmax(w) == len(w) // 2
    np.testing.assert_allclose(w, w[::-1])


def test_a_held_expression_renders_as_deform_draws_it(painting):
    prepared, _, angry = painting
    frames = [angry] * 12
    assert np.abs(_repairs(prepared, frames[:1])).max() > 1.0   # there is a repair to keep
    still = deform_module.deform(prepared.analysis, angry, prepared.fit)
    for points in deform_sequence(prepared.analysis, frames, prepared.fit, FPS):
        np.testing.assert_allclose(points, still, atol=1e-3)


def test_a_brief_fold_is_repaired_without_a_snap(painting):
    """Neutral, then angry for 8 frames (0.32 s), then neutral: each frame repaired on its own
    snaps the skin by the whole repair in one frame; the sequence spreads it over several."""
    prepared, neutral, angry = painting
    frames = [neutral] * 10 + [angry] * 8 + [neutral] * 10
    per_frame = np.stack([deform_module.deform(prepared.analysis, p, prepared.fit) for p in frames])
    smoothed = np.stack(list(deform_sequence(prepared.analysis, frames, prepared.fit, FPS)))
    assert smoothed.shape == per_frame.shape
    raw = per_frame.copy()
    raw[:, :468, :2] -= _repairs(prepared, frames)
    snap = lambda pts: np.abs(np.diff(pts - raw, axis=0)).max()   # noqa: E731  frame-to-frame jump of the repair
    assert snap(per_frame) > 1.5
    assert snap(smoothed) < 0.5 * snap(per_frame)
    middle = np.abs(smoothed[14] - raw[14]).max()                 # the repair still acts mid-expression
    assert middle > 0.5 * np.abs(per_frame[14] - raw[14]).max()
    np.testing.assert_allclose(smoothed[0], per_frame[0], atol=1e-3)   # far from the fold: untouched
