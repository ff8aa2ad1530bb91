"""AU intensities read from landmark geometry, for the AUs MediaPipe's blendshapes barely see.

MediaPipe's blendshape network hardly reacts to some Action Units (its cheekSquint, noseSneer,
mouthShrugLower, mouthPress... stay near 0 whatever the face does; bench/calibrate_au_reading.py
measures this). For those we read the AU from where the landmarks are: the face mesh is brought
into canonical space (similarity fit), its offset from the canonical neutral face is projected on
the rig's own AU displacement fields by ridge least squares, and the coefficient is the AU.

A single photo's absolute reading mixes expression with face shape (thin lips look like AU23),
so these readings are trusted for *changes* (re-analysing a render against its source) and only
cautiously for relaxing a portrait (control.les.RELAX_FRACTION).
"""
from __future__ import annotations

import functools

import numpy as np

from ..rig.basis import rig_basis
from ..rig.deform import IMAGE_FROM_CANONICAL_AXES, FaceFit, fit_face
from ..types import FaceAnalysis
from ..vocab import AU_IDS
from .aus import read_aus
from .canonical_mesh import canonical_mesh

# Ridge strength relative to the mean basis energy: 0.05 keeps each AU's own reading monotonic
# on re-rendered portraits while holding crosstalk to ~1-2 units (bench/calibrate_au_reading.py).
RIDGE = 0.05
# AUs that MediaPipe's blendshapes read well (an independent network, preferred where it works);
# the geometric solve leaves them out so they cannot absorb other AUs' motion. (mouthDimple does
# not react to the rig's AU14 at all, < 0.005 at +2.5, so AU14 is read geometrically.)
BLENDSHAPE_READ_AUS = (7, 45)
GEOMETRY_AUS = tuple(au for au in AU_IDS if au not in BLENDSHAPE_READ_AUS)


@functools.lru_cache(maxsize=1)
def _solver() -> np.ndarray:
    """[G, 468*3] matrix mapping a canonical offset to GEOMETRY_AUS intensities (both sides)."""
    rows = [AU_IDS.index(au) for au in GEOMETRY_AUS]
    basis = rig_basis().au[rows].sum(axis=1).reshape(len(rows), -1).astype(np.float64)
    gram = basis @ basis.T
    scale = np.trace(gram) / len(gram)
    return np.linalg.solve(gram + RIDGE * scale * np.eye(len(gram)), basis)


def canonical_offsets(analysis: FaceAnalysis, fit: FaceFit | None = None) -> np.ndarray:
    """[468, 3] cm: the face's landmarks in canonical space minus the canonical neutral mesh."""
    fit = fit or fit_face(analysis)
    px = analysis.landmarks_px[:468].astype(np.float64) - fit.translation
    to_image = fit.scale * (fit.rotation @ IMAGE_FROM_CANONICAL_AXES)
    cm = px @ np.linalg.inv(to_image).T
    return (cm - canonical_mesh().vertices).astype(np.float32)


def read_aus_geometry(analysis: FaceAnalysis) -> np.ndarray:
    """[17] AU intensities (0-5 scale, may be negative): GEOMETRY_AUS from the landmark offsets,
    BLENDSHAPE_READ_AUS from the blendshapes (mean of both sides)."""
    out = np.zeros(len(AU_IDS), np.float32)
    geometric = _solver() @ canonical_offsets(analysis).ravel().astype(np.float64)
    out[[AU_IDS.index(au) for au in GEOMETRY_AUS]] = geometric
    from_blendshapes = read_aus(analysis.blendshapes, clip=False).mean(axis=1)
    for au in BLENDSHAPE_READ_AUS:
        out[AU_IDS.index(au)] = from_blendshapes[AU_IDS.index(au)]
    return out


def lips_part_reading(analysis: FaceAnalysis, au26: float, fit: FaceFit | None = None) -> float:
    """AU25 (lips part) of a portrait, from the measured inner-lip gap, in rig units.

    The gap between the inner lips (cm, along the face's down direction, middle pairs) is what
    the jaw drop (au26, already read) does not explain, divided by how far one unit of the rig's
    AU25 lowers the lower lip. A closed mouth reads 0.
    """
    from . import topology as topo

    fit = fit or fit_face(analysis)
    down = fit.down[:2] / np.linalg.norm(fit.down[:2])
    gap_cm = topo.inner_lip_gap_px(analysis.landmarks_px, down) / fit.scale
    basis = rig_basis().au.sum(axis=1)  # [17, 468, 3] cm per unit
    lip = topo.LIPS_LOWER_INNER[5]      # lower inner lip, middle
    per_unit_25 = -float(basis[AU_IDS.index(25), lip, 1])
    per_unit_26 = -float(basis[AU_IDS.index(26), lip, 1])
    return max(0.0, (gap_cm - au26 * per_unit_26) / per_unit_25)
