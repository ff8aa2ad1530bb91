"""Rig known answers: AUs move only their own region, and read back from re-analysed renders."""
import numpy as np
import pytest

from emoface.analyze import topology as topo
from emoface.analyze.canonical_mesh import canonical_mesh
from emoface.rig.basis import rig_basis
from emoface.vocab import AU_IDS, AU_INDEX, MOUTH_INDEX

# Where each AU may move the face, canonical y in cm (brows ~5, eyes ~2.6, nose tip ~-1.1,
# lips ~-4.3, chin ~-9.4): brow and lid AUs never reach the mouth, mouth AUs never the eyes.
REGION_Y = {1: (1.5, 9), 2: (1.5, 9), 4: (1.5, 9), 5: (1.5, 4.5), 7: (1.0, 4.0),
            6: (-6.0, 3.5), 9: (-5.0, 5.5), 10: (-5.5, 1.0), 12: (-7.5, 3.0),
            14: (-7.5, -1.5), 15: (-7.5, -1.5), 20: (-7.5, -1.5), 23: (-7.5, -1.5),
            25: (-7.5, -1.5), 17: (-10, -3.0), 26: (-10, -1.5)}


@pytest.mark.parametrize("au", [a for a in AU_IDS if a != 45])
def test_au_moves_only_its_own_region(au):
    verts = canonical_mesh().vertices
    field = rig_basis().au[AU_INDEX[au]].sum(0)  # [468, 3] cm per unit
    moving = np.linalg.norm(field, axis=1) > 0.02 * np.linalg.norm(field, axis=1).max()
    lo, hi = REGION_Y[au]
    ys = verts[moving, 1]
    assert moving.any()
    assert ys.min() >= lo and ys.max() <= hi, (au, ys.min(), ys.max())


def test_sides_are_separate():
    """A left-only AU12 leaves the subject's right lip corner where it was."""
    field_left = rig_basis().au[AU_INDEX[12], 0]
    right_corner, left_corner = topo.MOUTH_CORNERS
    assert np.linalg.norm(field_left[left_corner]) > 0.1
    assert np.linalg.norm(field_left[right_corner]) < 1e-3


def test_jaw_drop_moves_lower_lip_not_upper_lip():
    field = rig_basis().au[AU_INDEX[26]].sum(0)
    assert field[14, 1] < -0.1          # lower inner lip goes down (canonical y up)
    # the upper lip follows the opening only a little (its middle lifts, making the opening an
    # oval), never down and far less than the lower lip drops
    assert 0.0 <= field[13, 1] < 0.2 * -field[14, 1]
    # the corners come in towards the midline (a dropped jaw narrows relaxed lips)
    assert field[61, 0] > 0.02 and field[291, 0] < -0.02
    assert field[152, 1] < -0.1         # chin goes down


def test_speech_opens_the_lips_as_a_lens_tapering_into_the_corners():
    """jaw_open: the lower lip drops most in the middle and less towards each corner (a lens, not
    a slot with square ends), every ring of a lip column by the same amount (the lip keeps its
    thickness), and the chin drops with the jaw."""
    drop = -rig_basis().mouth[MOUTH_INDEX["jaw_open"], :, 1]     # [468] cm down per unit
    inner, outer = topo.LOWER_LIP_RINGS[0], topo.LOWER_LIP_RINGS[-1]
    middle = drop[inner[5]]
    assert middle > 1.0
    beside_corner, halfway, near_middle = (drop[inner[k]] / middle for k in (1, 2, 4))
    assert beside_corner < 0.75                                  # was 0.89: the square end
    assert beside_corner < halfway < near_middle
    assert near_middle > 0.9
    for k in range(1, 10):
        assert abs(drop[outer[k]] - drop[inner[k]]) < 0.1 * middle, k
    assert drop[152] > 0.8 * middle                               # the chin goes with the jaw
