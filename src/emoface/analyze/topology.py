"""Named landmark sets of the MediaPipe Face Mesh topology (468 mesh vertices + 10 iris points).

Lists follow MediaPipe's published face-mesh annotations (the `silhouette`, `lipsUpperOuter`,
`rightEyeUpper0`, ... keypoint groups). Upper/lower eyelid and lip lists are ordered so that
equal positions face each other across the opening (index k of the upper list lies above index k
of the lower list). "Left"/"right" are the subject's.
"""
from __future__ import annotations

import functools

import numpy as np

N_MESH = 468
N_LANDMARKS = 478

LIPS_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS = (61, 291)          # outer corners: subject's right, left
MOUTH_CORNERS_INNER = (78, 308)
# The lips as four rings each (MediaPipe's lipsUpper/Lower Outer, SemiOuter, SemiInner, Inner),
# corner to corner in the same order, so that column k of every ring crosses the lip together.
UPPER_LIP_RINGS = (LIPS_UPPER_INNER,
                   (62, 183, 42, 41, 38, 12, 268, 271, 272, 407, 292),
                   (76, 184, 74, 73, 72, 11, 302, 303, 304, 408, 306),
                   LIPS_UPPER_OUTER)
LOWER_LIP_RINGS = (LIPS_LOWER_INNER,
                   (62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292),
                   (76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306),
                   LIPS_LOWER_OUTER)

# Eyelid contours without the corners, upper[k] above lower[k].
RIGHT_EYE_UPPER = (246, 161, 160, 159, 158, 157, 173)
RIGHT_EYE_LOWER = (7, 163, 144, 145, 153, 154, 155)
RIGHT_EYE_UPPER_RING = (247, 30, 29, 27, 28, 56, 190)   # one ring above the lid margin
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_UPPER = (466, 388, 387, 386, 385, 384, 398)
LEFT_EYE_LOWER = (249, 390, 373, 374, 380, 381, 382)
LEFT_EYE_UPPER_RING = (467, 260, 259, 257, 258, 286, 414)
LEFT_EYE_CORNERS = (263, 362)

RIGHT_BROW_INNER = (107, 66, 55, 65)
RIGHT_BROW_OUTER = (70, 63, 46, 53)
RIGHT_BROW_MID = (105, 52)
LEFT_BROW_INNER = (336, 296, 285, 295)
LEFT_BROW_OUTER = (300, 293, 276, 283)
LEFT_BROW_MID = (334, 282)

RIGHT_CHEEK = (50, 101, 118, 117, 123, 205)
LEFT_CHEEK = (280, 330, 347, 346, 352, 425)
RIGHT_NOSE_WING = (49, 64, 98, 129, 48, 102)
LEFT_NOSE_WING = (279, 294, 327, 358, 278, 331)
CHIN = (152, 148, 377, 175, 199, 200, 176, 400)
NOSE_TIP = 1

RIGHT_IRIS = tuple(range(468, 473))   # centre first
LEFT_IRIS = tuple(range(473, 478))


def inner_lip_gap_px(landmarks: np.ndarray, down: np.ndarray) -> float:
    """Mean inner-lip gap (px) along the face's down direction (>= 2 components) over the
    middle pairs of the inner lip contours. landmarks: [478, >=2] px."""
    upper = landmarks[list(LIPS_UPPER_INNER[3:-3]), :2]
    lower = landmarks[list(LIPS_LOWER_INNER[3:-3]), :2]
    return float(np.mean((lower - upper) @ down[:2]))


def inner_mouth_width_px(landmarks: np.ndarray) -> float:
    """Distance (px) between the inner mouth corners. landmarks: [478, >=2] px."""
    corners = landmarks[list(MOUTH_CORNERS_INNER), :2]
    return float(np.linalg.norm(corners[1] - corners[0]))


@functools.lru_cache(maxsize=1)
def face_oval_loop() -> np.ndarray:
    """[36] int: the canonical mesh's boundary vertices in order around the face (from the mesh)."""
    from .canonical_mesh import canonical_mesh

    tris = canonical_mesh().triangles
    edges = np.sort(np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]), axis=1)
    uniq, counts = np.unique(edges, axis=0, return_counts=True)
    boundary = uniq[counts == 1]
    neighbours: dict[int, list[int]] = {}
    for a, b in boundary:
        neighbours.setdefault(int(a), []).append(int(b))
        neighbours.setdefault(int(b), []).append(int(a))
    start = 10  # forehead top
    loop, prev = [start], None
    while True:
        nxt = next(n for n in neighbours[loop[-1]] if n != prev)
        if nxt == start:
            break
        prev = loop[-1]
        loop.append(nxt)
    return np.asarray(loop, np.int32)
