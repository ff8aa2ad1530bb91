"""Frozen dataclasses that travel between stages (DESIGN.md "Representations").

Convention: image points are (x, y[, z]) in pixels, origin at the top-left pixel's centre,
y down, z in the same scale as x (MediaPipe's z, scaled by image width).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .vocab import AU_IDS, MOUTH_CONTROLS


@dataclass(frozen=True)
class FaceAnalysis:
    """One face in one image, as MediaPipe FaceLandmarker sees it.

    landmarks_px:   [478, 3] float32 px (468 mesh + 10 iris), MediaPipe Face Mesh topology.
    blendshapes:    [52] float32 in [0, 1], `vocab.BLENDSHAPE_NAMES` order.
    head_from_canonical: [4, 4] float32, MediaPipe's facial transformation matrix
                    (canonical face model, cm -> camera space, cm).
    image_size:     (height, width) in px of the image the landmarks refer to.
    faces_found:    how many faces the detector saw (the largest one is described here).
    """

    landmarks_px: np.ndarray
    blendshapes: np.ndarray
    head_from_canonical: np.ndarray
    image_size: tuple[int, int]
    faces_found: int = 1

    def resized(self, image_size: tuple[int, int]) -> "FaceAnalysis":
        """The same face described in a resized copy of the image, (height, width) px."""
        sy = image_size[0] / self.image_size[0]
        sx = image_size[1] / self.image_size[1]
        scale = np.array([sx, sy, sx], np.float32)
        # pixel centres: x' + 0.5 = (x + 0.5) * s
        landmarks = (self.landmarks_px + 0.5) * scale - 0.5
        landmarks[:, 2] = self.landmarks_px[:, 2] * sx
        return FaceAnalysis(landmarks.astype(np.float32), self.blendshapes, self.head_from_canonical,
                            tuple(image_size), self.faces_found)

    @property
    def face_width_px(self) -> float:
        """Width of the face oval's bounding box in px."""
        xs = self.landmarks_px[:468, 0]
        return float(xs.max() - xs.min())


@dataclass(frozen=True)
class RigParams:
    """What the rig should change relative to the source image (all deltas, 0 = unchanged).

    au_delta:       [17, 2] float32, AU intensity change on OpenFace's 0-5 scale, per side
                    (column 0 = subject's left, 1 = right), rows in `vocab.AU_IDS` order.
    mouth:          [5] float32 in [0, 1], `vocab.MOUTH_CONTROLS` (speech articulation).
    head_rotation:  [3] float32 rad, (pitch, yaw, roll) added to the source head pose.
    """

    au_delta: np.ndarray = field(default_factory=lambda: np.zeros((len(AU_IDS), 2), np.float32))
    mouth: np.ndarray = field(default_factory=lambda: np.zeros(len(MOUTH_CONTROLS), np.float32))
    head_rotation: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
