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
    mouth:          [6] float32 in [0, 1], `vocab.MOUTH_CONTROLS` (speech articulation).
    head_rotation:  [3] float32 rad, (pitch, yaw, roll) added to the source head pose.
    gaze:           [2] float32, shift of both irises from where the portrait looks, in eye widths
                    (x right, y down along the face's axes; 0.15 is a clear glance sideways),
                    kept inside the eye opening.
    """

    au_delta: np.ndarray = field(default_factory=lambda: np.zeros((len(AU_IDS), 2), np.float32))
    mouth: np.ndarray = field(default_factory=lambda: np.zeros(len(MOUTH_CONTROLS), np.float32))
    head_rotation: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    gaze: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))


@dataclass(frozen=True)
class Audio:
    """Decoded speech, ready for analysis.

    samples:      [N] float32 mono in [-1, 1] at `sample_rate` (16 kHz after `io.audio.load_audio`).
    sample_rate:  Hz.
    source:       the file it came from (muxed into videos at its own quality), or None.
    """

    samples: np.ndarray
    sample_rate: int
    source: str | None = None

    @property
    def duration_s(self) -> float:
        return len(self.samples) / float(self.sample_rate)


@dataclass(frozen=True)
class PhonemeTrack:
    """Timed phonemes of an utterance.

    phones:   N ARPABET phones without stress digits (`drive.phonemes.ARPABET`), "SIL" for pauses.
    start_s:  [N] float64 seconds from the start of the audio; end_s: [N] float64 seconds.
    stress:   [N] int8, CMUdict lexical stress of vowels (0, 1, 2); -1 for consonants/unknown.
    method:   how the timing was obtained: "tts", "forced-alignment", "phone-loop" or "energy".
    words:    optional (word, start_s, end_s) triples, for logs and curve export.

    Convention: intervals are half-open [start, end), sorted, non-overlapping.
    """

    phones: tuple[str, ...]
    start_s: np.ndarray
    end_s: np.ndarray
    stress: np.ndarray
    method: str
    words: tuple[tuple[str, float, float], ...] = ()

    def __len__(self) -> int:
        return len(self.phones)
