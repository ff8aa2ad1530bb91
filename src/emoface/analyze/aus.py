"""Blendshapes -> the 17 LES Action Unit intensities (OpenFace 0-5 scale), per side.

MediaPipe reports ARKit-style blendshapes, not FACS AUs. Each AU is read from the blendshapes
whose ARKit definitions describe the same muscle action (ARKit's BlendShapeLocation docs; the
ARKit<->FACS correspondences commonly used in facial-capture practice):

    AU1  inner brow raiser    browInnerUp            AU14 dimpler             mouthDimple{L,R}
    AU2  outer brow raiser    browOuterUp{L,R}       AU15 lip corner depr.    mouthFrown{L,R}
    AU4  brow lowerer         browDown{L,R}          AU17 chin raiser         mouthShrugLower
    AU5  upper lid raiser     eyeWide{L,R}           AU20 lip stretcher       mouthStretch{L,R}
    AU6  cheek raiser         cheekSquint{L,R}       AU23 lip tightener       mouthPress{L,R}
    AU7  lid tightener        eyeSquint{L,R}         AU25 lips part           mouthLowerDown{L,R}
    AU9  nose wrinkler        noseSneer{L,R}         AU26 jaw drop            jawOpen
    AU10 upper lip raiser     mouthUpperUp{L,R}      AU45 blink               eyeBlink{L,R}
    AU12 lip corner puller    mouthSmile{L,R}

intensity = clip(AU_MAX * (score - baseline) / span, 0, AU_MAX), where `baseline` is the score a
relaxed face typically shows and `span` the score change the rig's full AU (intensity 5) causes.
The `span` values are calibrated by `bench/calibrate_au_reading.py` (render each AU at 5 on the
shared portraits, re-analyse, take the median score change).
"""
from __future__ import annotations

import numpy as np

from ..vocab import AU_IDS, AU_MAX, BLENDSHAPE_INDEX

# AU -> (left blendshape, right blendshape); bilateral blendshapes list the same name twice.
AU_BLENDSHAPES: dict[int, tuple[str, str]] = {
    1: ("browInnerUp", "browInnerUp"),
    2: ("browOuterUpLeft", "browOuterUpRight"),
    4: ("browDownLeft", "browDownRight"),
    5: ("eyeWideLeft", "eyeWideRight"),
    6: ("cheekSquintLeft", "cheekSquintRight"),
    7: ("eyeSquintLeft", "eyeSquintRight"),
    9: ("noseSneerLeft", "noseSneerRight"),
    10: ("mouthUpperUpLeft", "mouthUpperUpRight"),
    12: ("mouthSmileLeft", "mouthSmileRight"),
    14: ("mouthDimpleLeft", "mouthDimpleRight"),
    15: ("mouthFrownLeft", "mouthFrownRight"),
    17: ("mouthShrugLower", "mouthShrugLower"),
    20: ("mouthStretchLeft", "mouthStretchRight"),
    23: ("mouthPressLeft", "mouthPressRight"),
    25: ("mouthLowerDownLeft", "mouthLowerDownRight"),
    26: ("jawOpen", "jawOpen"),
    45: ("eyeBlinkLeft", "eyeBlinkRight"),
}

# Typical score of a relaxed, neutral face (median over neutral frames of the shared MEAD clip
# and portraits); readings below it count as 0.
BASELINE: dict[int, float] = {au: 0.0 for au in AU_IDS} | {
    4: 0.05, 7: 0.25, 45: 0.10, 17: 0.10, 23: 0.02,
}

# Score change produced by the rig's intensity-5 AU: medians over the shared portraits from
# bench/calibrate_au_reading.py. Blendshapes that barely react to their AU (measured change
# < 0.3) keep SPAN = 0.3 so that their noise cannot turn into large readings.
MIN_SPAN = 0.3
SPAN: dict[int, float] = {au: MIN_SPAN for au in AU_IDS} | {
    1: 0.54, 4: 0.31, 12: 0.59, 26: 0.39, 45: 0.30,
}
# AUs whose blendshape reading is calibrated against the rig: only these are trusted enough to
# be removed when a portrait is relaxed to neutral (control.les.RELAX_FRACTION).
CALIBRATED_AUS: tuple[int, ...] = (1, 4, 12, 25, 26, 45)  # 25: measured lip gap (pipeline)


def read_aus(blendshapes: np.ndarray, clip: bool = True) -> np.ndarray:
    """blendshapes: [52] scores in [0, 1] -> [17, 2] AU intensities 0-5 (left, right columns).

    clip=False keeps readings below the relaxed baseline (negative) and above 5, for comparing
    two images of one face rather than describing one."""
    out = np.zeros((len(AU_IDS), 2), np.float32)
    for row, au in enumerate(AU_IDS):
        for side, name in enumerate(AU_BLENDSHAPES[au]):
            score = float(blendshapes[BLENDSHAPE_INDEX[name]])
            out[row, side] = AU_MAX * (score - BASELINE[au]) / SPAN[au]
    return np.clip(out, 0.0, AU_MAX) if clip else out
