"""Fixed vocabularies shared by every stage: emotions, Action Units, blendshape names.

Convention: "left"/"right" always mean the *subject's* left/right (image right/left for a
frontal, unmirrored photo), as in ARKit's blendshape names and FACS.
"""

EMOTIONS: tuple[str, ...] = (
    "neutral", "angry", "contempt", "disgusted", "fear", "happy", "sad", "surprised",
)

# The 17 Action Units of the LES paper (OpenFace's intensity set), in LES index order.
AU_IDS: tuple[int, ...] = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
AU_INDEX: dict[int, int] = {au: i for i, au in enumerate(AU_IDS)}
AU_NAMES: dict[int, str] = {
    1: "inner brow raiser", 2: "outer brow raiser", 4: "brow lowerer", 5: "upper lid raiser",
    6: "cheek raiser", 7: "lid tightener", 9: "nose wrinkler", 10: "upper lip raiser",
    12: "lip corner puller", 14: "dimpler", 15: "lip corner depressor", 17: "chin raiser",
    20: "lip stretcher", 23: "lip tightener", 25: "lips part", 26: "jaw drop", 45: "blink",
}
AU_MAX = 5.0  # OpenFace intensity scale 0..5 (FACS A..E ~ 1..5)

# Side index in [..., 2] arrays.
LEFT, RIGHT = 0, 1

# MediaPipe FaceLandmarker's 52 blendshape categories, in the order it reports them.
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)
BLENDSHAPE_INDEX: dict[str, int] = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}

# Mouth controls driven by speech (and usable directly), each in [0, 1].
# lower_lip_tuck draws the lower lip up and in under the upper teeth (labiodentals f, v).
MOUTH_CONTROLS: tuple[str, ...] = (
    "jaw_open", "lip_funnel", "lip_pucker", "lip_press", "lip_stretch", "lower_lip_tuck",
)
MOUTH_INDEX: dict[str, int] = {n: i for i, n in enumerate(MOUTH_CONTROLS)}
