"""Rig parameters -> displaced landmarks of one face, in image px.

The AU and mouth fields live in canonical space (cm); a similarity fit from the canonical mesh to
the person's own landmarks (rotation, scale, translation) carries them into the image, so every
face gets displacements of the right size and direction for its pose. Blinks are measured on the
person's own eyelids (the upper lid travels to the lower one), and head rotation turns the whole
deformed face about a pivot in the neck.

Convention: image space is px, x right, y down, z away from the camera (MediaPipe's z);
canonical space is cm, x to the subject's left, y up, z towards the viewer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation
from skimage.transform import SimilarityTransform

from ..analyze import topology as topo
from ..analyze.canonical_mesh import canonical_mesh
from ..types import FaceAnalysis, RigParams
from ..vocab import AU_INDEX, AU_MAX
from .basis import rig_basis

IMAGE_FROM_CANONICAL_AXES = np.diag([1.0, -1.0, -1.0]).astype(np.float32)
BLINK_RING_SHARE = 0.55  # how far the skin ring above the lid margin follows a blink


@dataclass(frozen=True)
class FaceFit:
    """Similarity from canonical cm to image px: px = scale * rotation @ (A @ cm) + translation.

    rotation: [3, 3]; scale: px per cm; translation: [3] px; A = IMAGE_FROM_CANONICAL_AXES.
    head_pivot_px: [3] point the head turns about (upper neck, behind the face).
    """

    rotation: np.ndarray
    scale: float
    translation: np.ndarray
    head_pivot_px: np.ndarray

    def vectors_to_image(self, cm: np.ndarray) -> np.ndarray:
        """[..., 3] cm displacement vectors -> [..., 3] px vectors."""
        return self.scale * cm @ (self.rotation @ IMAGE_FROM_CANONICAL_AXES).T

    def points_to_image(self, cm: np.ndarray) -> np.ndarray:
        return self.vectors_to_image(cm) + self.translation

    @property
    def down(self) -> np.ndarray:
        """[3] unit vector of the face's chin-ward direction in image space."""
        d = self.vectors_to_image(np.array([0.0, -1.0, 0.0], np.float32))
        return d / np.linalg.norm(d)


def fit_face(analysis: FaceAnalysis) -> FaceFit:
    """Fit canonical -> image similarity on the 468 mesh landmarks."""
    src = canonical_mesh().vertices @ IMAGE_FROM_CANONICAL_AXES.T
    dst = analysis.landmarks_px[: topo.N_MESH].astype(np.float64)
    tf = SimilarityTransform.from_estimate(src.astype(np.float64), dst)
    rotation = (tf.params[:3, :3] / tf.scale).astype(np.float32)
    translation = tf.params[:3, 3].astype(np.float32)
    fit = FaceFit(rotation, float(tf.scale), translation, np.zeros(3, np.float32))
    # pivot: below the chin's height at the ear line, ~8 cm behind the face surface
    pivot_cm = np.array([0.0, -6.0, -6.0], np.float32)
    return FaceFit(rotation, float(tf.scale), translation, fit.points_to_image(pivot_cm))


def blink_displacement(landmarks: np.ndarray, closure_lr: np.ndarray) -> np.ndarray:
    """[478, 3] px: upper lids moved towards the lower lids by closure (0 open .. 1 shut).

    closure_lr: [2] (subject's left, right); negative values lift the lid (capped at -0.3).
    """
    out = np.zeros_like(landmarks)
    eyes = ((topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_EYE_UPPER_RING),
            (topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_EYE_UPPER_RING))
    for (upper, lower, ring), closure in zip(eyes, closure_lr):
        c = float(np.clip(closure, -0.3, 1.0))
        travel = landmarks[list(lower)] - landmarks[list(upper)]
        travel[:, 2] = 0.0
        out[list(upper)] += c * 0.97 * travel
        out[list(ring)] += c * BLINK_RING_SHARE * travel
    return out


def _keep_openings_ordered(points: np.ndarray, source: np.ndarray, down: np.ndarray) -> None:
    """In place: a lower lip/eyelid never rises above its upper partner (no inside-out mouth).

    The floor is the source's own gap where that is already negative (landmark noise on a
    closed mouth), so an unedited face is left exactly as it is."""
    for upper, lower in ((topo.LIPS_UPPER_INNER[1:-1], topo.LIPS_LOWER_INNER[1:-1]),
                         (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER),
                         (topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER)):
        u, lo = list(upper), list(lower)
        gap = (points[lo, :2] - points[u, :2]) @ down[:2]
        floor = np.minimum((source[lo, :2] - source[u, :2]) @ down[:2], 0.0)
        crossed = gap < floor - 1e-3
        if crossed.any():
            shift = ((gap - floor)[crossed] / 2)[:, None] * down[None, :2]
            points[np.array(u)[crossed], :2] += shift
            points[np.array(lo)[crossed], :2] -= shift


def deform(analysis: FaceAnalysis, params: RigParams, fit: FaceFit | None = None) -> np.ndarray:
    """Source landmarks + rig params -> [478, 3] px deformed landmarks."""
    fit = fit or fit_face(analysis)
    basis = rig_basis()
    src = analysis.landmarks_px
    delta_cm = np.einsum("ks,ksvc->vc", params.au_delta, basis.au)
    delta_cm += np.einsum("k,kvc->vc", params.mouth, basis.mouth)
    out = src.copy()
    out[: topo.N_MESH] += fit.vectors_to_image(delta_cm)
    blink = params.au_delta[AU_INDEX[45]] / AU_MAX
    out += blink_displacement(src, blink)
    # irises ride along with their eye
    for iris, lids in ((topo.LEFT_IRIS, topo.LEFT_EYE_UPPER + topo.LEFT_EYE_LOWER),
                       (topo.RIGHT_IRIS, topo.RIGHT_EYE_UPPER + topo.RIGHT_EYE_LOWER)):
        shift = (out[list(lids)] - src[list(lids)]).mean(0)
        shift[1] = (out[list(lids), 1] - src[list(lids), 1]).mean() * 0.5
        out[list(iris)] += shift
    _keep_openings_ordered(out, src, fit.down)
    if np.any(params.head_rotation):
        out = rotate_about(out, params.head_rotation, fit.head_pivot_px)
    return out


def rotate_about(points: np.ndarray, pitch_yaw_roll: np.ndarray, pivot: np.ndarray) -> np.ndarray:
    """Rotate [N, 3] px points by (pitch, yaw, roll) rad in image axes about `pivot` [3] px."""
    rot = Rotation.from_euler("xyz", pitch_yaw_roll).as_matrix().astype(np.float32)
    return (points - pivot) @ rot.T + pivot
