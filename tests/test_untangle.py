"""No folded skin: where AU fields collide, the deformed mesh is untangled before rendering."""
import numpy as np
import pytest

import emoface.rig.deform as deform_module
from emoface.analyze import topology as topo
from emoface.analyze.canonical_mesh import canonical_mesh
from emoface.rig.regions import jaw_weight
from emoface.rig.untangle import _mesh, folded, untangle

CHEEK = 205   # a skin vertex beside the nose wing, far from lips and eyes


def _canonical_px(v: np.ndarray | None = None) -> np.ndarray:
    """[468, 2] the canonical mesh (or its vertices `v`, [468, 3] cm) seen from the front,
    ~20 px per cm, y down."""
    v = canonical_mesh().vertices if v is None else v
    return np.stack([300 + 20 * v[:, 0], 300 - 20 * v[:, 1]], 1).astype(np.float32)


def test_an_unfolded_mesh_is_returned_unchanged():
    src = _canonical_px()
    moved = src + np.float32([3.0, -2.0])     # a plain shift folds nothing
    assert not folded(src, moved).any()
    np.testing.assert_array_equal(untangle(src, moved), moved)


def test_a_vertex_pushed_across_its_neighbours_is_pulled_back():
    src = _canonical_px()
    neighbours = _mesh()[2][CHEEK].indices
    reach = np.abs(src[neighbours] - src[CHEEK]).max()
    moved = src.copy()
    moved[CHEEK, 0] += 2.5 * reach            # far past its whole ring of neighbours
    assert folded(src, moved).sum() >= 3      # the skin turns over there
    fixed = untangle(src, moved)
    assert not folded(src, fixed).any()
    lips = [v for ring in topo.UPPER_LIP_RINGS[:-1] + topo.LOWER_LIP_RINGS[:-1] for v in ring]
    np.testing.assert_array_equal(fixed[lips], moved[lips])   # the lips keep their shape
    far = np.linalg.norm(src - src[CHEEK], axis=1) > 6 * reach
    np.testing.assert_array_equal(fixed[far], moved[far])      # only the fold's surroundings move


def test_a_collapsed_mouth_opening_is_not_a_fold():
    """Closing the lips collapses the opening between them: that is not a fold."""
    v = canonical_mesh().vertices.copy()
    upper, lower = list(topo.LIPS_UPPER_INNER), list(topo.LIPS_LOWER_INNER)
    v[:, 1] -= 0.8 * jaw_weight(v)            # an open mouth: the jaw dropped 8 mm
    src = _canonical_px(v)
    moved = src.copy()
    middle = (moved[upper] + moved[lower]) / 2
    moved[upper], moved[lower] = middle, middle
    assert not folded(src, moved).any()
    np.testing.assert_array_equal(untangle(src, moved), moved)


@pytest.mark.usefixtures("needs_core")
def test_an_angry_painting_has_no_folded_skin(media_dir, monkeypatch):
    """The imperial painting at angry level 3: brow lowering, lid tightening, upper lip raise
    and jaw drop meet around the eyes and mouth. Without untangling its skin folds (seen as hard
    stair-stepped edges); with it, none does."""
    from emoface.pipeline import expression_params, prepare

    prepared = prepare(media_dir / "images" / "painting_chinese_imperial_portrait.png")
    params = expression_params(prepared, "angry", 3.0)
    src = prepared.analysis.landmarks_px
    monkeypatch.setattr(deform_module, "UNTANGLE", False)
    raw = deform_module.deform(prepared.analysis, params, prepared.fit)
    monkeypatch.setattr(deform_module, "UNTANGLE", True)
    fixed = deform_module.deform(prepared.analysis, params, prepared.fit)
    assert folded(src, raw).sum() >= 5
    assert folded(src, fixed).sum() == 0
