"""A tracked driving video -> per-frame readings: AUs, lip gap, lip shapes, head rotation, gaze.

Everything the retargeting (`retarget`) needs is read here, frame by frame, with the same
MediaPipe analysis the pipeline uses on portraits (blendshape AU readings `analyze.aus`, the
geometric reading `analyze.geometry_aus`, the similarity fit of `rig.deform`). Frames where the
face was lost are filled from their neighbours (linear in time, held at the ends), so every
array is finite.

Convention: image axes x right, y down, z away from the camera; MediaPipe's facial
transformation matrix is in its camera frame (x right, y up, z towards the viewer), so a
rotation R there is A R A in image axes with A = diag(1, -1, -1).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..analyze import topology as topo
from ..analyze.aus import read_aus
from ..analyze.geometry_aus import read_aus_geometry
from ..errors import NoFaceError
from ..rig.deform import IMAGE_FROM_CANONICAL_AXES, FaceFit
from ..vocab import AU_IDS, BLENDSHAPE_INDEX

CAMERA_TO_IMAGE_AXES = np.diag([1.0, -1.0, -1.0])

# Lip shapes read from blendshapes: (mouth control, blendshapes averaged). The inverse of the
# curve export's mapping (`export.curves`: lip_funnel -> mouthFunnel, ...).
LIP_SHAPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lip_funnel", ("mouthFunnel",)),
    ("lip_pucker", ("mouthPucker",)),
    ("lip_press", ("mouthPressLeft", "mouthPressRight")),
    ("lip_stretch", ("mouthStretchLeft", "mouthStretchRight")),
    ("lower_lip_tuck", ("mouthRollLower",)),
)


@dataclass(frozen=True)
class DrivingReadings:
    """What one tracked video shows, per frame (T frames at fps; all finite).

    aus_blendshape: [T, 17, 2] AU readings from the blendshapes (0-5 scale, unclipped; left, right).
    aus_geometry:   [T, 17] AU readings from the landmark geometry (0-5 scale, unclipped).
    lip_gap_cm:     [T] inner-lip gap along the face's down direction, cm of the canonical face.
    eye_aperture_cm: [T] upper to lower eyelid distance (middle of the lids, mean of both eyes)
                    along the face's down direction, cm of the canonical face.
    lip_shapes:     [T, 5] blendshape scores 0-1 in `LIP_SHAPES` order.
    rotation:       [T, 3, 3] head rotation in image axes (camera frame conjugated, see module).
    gaze:           [T, 2] gaze in eye widths (x right, y down), as `RigParams.gaze`, absolute.
    found:          [T] bool, frames where the face was tracked (the rest are filled).
    fps:            frames per second.
    """

    aus_blendshape: np.ndarray
    aus_geometry: np.ndarray
    lip_gap_cm: np.ndarray
    eye_aperture_cm: np.ndarray
    lip_shapes: np.ndarray
    rotation: np.ndarray
    gaze: np.ndarray
    found: np.ndarray
    fps: float

    def __len__(self) -> int:
        return len(self.found)


GAZE_FULL = 0.25  # eye widths for an eyeLook* score of 1 (as `export.curves`)
EYELIDS = ((topo.RIGHT_EYE_UPPER[2:5], topo.RIGHT_EYE_LOWER[2:5]),
           (topo.LEFT_EYE_UPPER[2:5], topo.LEFT_EYE_LOWER[2:5]))  # the lids' middle points


def eye_aperture_px(landmarks: np.ndarray, down: np.ndarray) -> float:
    """Mean distance (px) from the upper to the lower eyelid along `down` [2], middle of the
    lids, both eyes. landmarks: [478, >=2] px."""
    return float(np.mean([((landmarks[list(lower), :2] - landmarks[list(upper), :2]) @ down[:2]).mean()
                          for upper, lower in EYELIDS]))


def gaze_from_blendshapes(blendshapes: np.ndarray) -> np.ndarray:
    """[..., 52] scores -> [..., 2] gaze in eye widths (x right in the image, y down): the
    inverse of `export.curves`' eyeLook* mapping (image right = the subject's left eye looking
    out and the right eye looking in)."""
    b = lambda name: blendshapes[..., BLENDSHAPE_INDEX[name]]  # noqa: E731
    gx = 0.5 * ((b("eyeLookOutLeft") - b("eyeLookInLeft")) + (b("eyeLookInRight") - b("eyeLookOutRight")))
    gy = 0.5 * ((b("eyeLookDownLeft") - b("eyeLookUpLeft")) + (b("eyeLookDownRight") - b("eyeLookUpRight")))
    return np.stack([gx, gy], -1) * GAZE_FULL


def head_rotation_image(head_from_canonical: np.ndarray) -> np.ndarray:
    """[4, 4] MediaPipe facial transformation -> [3, 3] orthonormal rotation in image axes."""
    u, _, vt = np.linalg.svd(np.asarray(head_from_canonical, np.float64)[:3, :3])
    rotation = u @ vt
    if np.linalg.det(rotation) < 0:
        rotation = u @ np.diag([1.0, 1.0, -1.0]) @ vt
    return CAMERA_TO_IMAGE_AXES @ rotation @ CAMERA_TO_IMAGE_AXES


@functools.lru_cache(maxsize=1)
def rigid_vertices() -> np.ndarray:
    """[N] canonical mesh vertices that neither the jaw nor the brows move (eyes, nose, cheeks,
    temples): a similarity fit on them measures the face's scale and axes whatever the mouth does."""
    from ..analyze.canonical_mesh import canonical_mesh
    from ..rig import regions

    verts = canonical_mesh().vertices
    return np.flatnonzero((regions.jaw_weight(verts) < 0.05) & (regions.above_eyes(verts) < 0.5))


def rigid_fit(landmarks_px: np.ndarray) -> FaceFit:
    """Canonical -> image similarity fitted on `rigid_vertices` of [478, 3] px landmarks (the
    whole-mesh fit of `rig.deform.fit_face` grows with an opening jaw, shrinking gaps in cm)."""
    from skimage.transform import SimilarityTransform

    from ..analyze.canonical_mesh import canonical_mesh

    idx = rigid_vertices()
    src = canonical_mesh().vertices[idx] @ IMAGE_FROM_CANONICAL_AXES.T
    tf = SimilarityTransform.from_estimate(src.astype(np.float64), landmarks_px[idx].astype(np.float64))
    return FaceFit((tf.params[:3, :3] / tf.scale).astype(np.float32), float(tf.scale),
                   tf.params[:3, 3].astype(np.float32), np.zeros(3, np.float32))


def fill_lost(values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """[T, ...] values (anything where not found) -> a copy with lost frames filled linearly
    in time from the nearest found frames (held before the first and after the last)."""
    out = np.array(values, np.float64, copy=True)
    found = np.asarray(found, bool)
    if found.all():
        return out
    t, good = np.arange(len(found)), np.flatnonzero(found)
    flat = out.reshape(len(found), -1)
    for j in range(flat.shape[1]):
        flat[:, j] = np.interp(t, good, flat[good, j])
    return flat.reshape(out.shape)


def read_track(track) -> DrivingReadings:
    """A `analyze.track.FaceTrack` (or anything with its fields: found [T], fps, blendshapes
    [T, 52] and `analysis(i)`) -> DrivingReadings. Raises NoFaceError when no frame has the face."""
    found = np.asarray(track.found, bool)
    return read_analyses([track.analysis(int(i)) if ok else None for i, ok in enumerate(found)], track.fps)


def read_analyses(analyses, fps: float) -> DrivingReadings:
    """[T] `FaceAnalysis` per frame (None where the face was lost) -> DrivingReadings.

    Raises NoFaceError when every frame is None."""
    found = np.array([a is not None for a in analyses], bool)
    if not found.any():
        raise NoFaceError("no face found in any frame of the driving video")
    n = len(found)
    bs_aus = np.zeros((n, len(AU_IDS), 2))
    geo_aus = np.zeros((n, len(AU_IDS)))
    gap = np.zeros(n)
    aperture = np.zeros(n)
    blend = np.zeros((n, len(BLENDSHAPE_INDEX)))
    rotation = np.tile(np.eye(3), (n, 1, 1))
    for i in np.flatnonzero(found):
        analysis = analyses[i]
        fit = rigid_fit(analysis.landmarks_px)
        blend[i] = analysis.blendshapes
        bs_aus[i] = read_aus(analysis.blendshapes, clip=False)
        geo_aus[i] = read_aus_geometry(analysis)
        down = fit.down[:2] / max(float(np.linalg.norm(fit.down[:2])), 1e-9)
        gap[i] = topo.inner_lip_gap_px(analysis.landmarks_px, down) / fit.scale
        aperture[i] = eye_aperture_px(analysis.landmarks_px, down) / fit.scale
        rotation[i] = head_rotation_image(analysis.head_from_canonical)
    shapes = np.stack([blend[:, [BLENDSHAPE_INDEX[b] for b in names]].mean(1) for _, names in LIP_SHAPES], 1)
    return DrivingReadings(
        aus_blendshape=fill_lost(bs_aus, found), aus_geometry=fill_lost(geo_aus, found),
        lip_gap_cm=fill_lost(gap, found), eye_aperture_cm=fill_lost(aperture, found),
        lip_shapes=fill_lost(shapes, found), rotation=_fill_rotations(rotation, found),
        gaze=fill_lost(gaze_from_blendshapes(blend), found), found=found, fps=float(fps))


def _fill_rotations(rotation: np.ndarray, found: np.ndarray) -> np.ndarray:
    """[T, 3, 3] rotations with lost frames filled by spherical interpolation (held at the ends)."""
    if found.all():
        return rotation
    from scipy.spatial.transform import Rotation, Slerp

    good = np.flatnonzero(found)
    if len(good) == 1:
        return np.broadcast_to(rotation[good[0]], rotation.shape).copy()
    t = np.clip(np.arange(len(found)), good[0], good[-1])
    return Slerp(good, Rotation.from_matrix(rotation[good]))(t).as_matrix()
