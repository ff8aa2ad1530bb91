"""Driving-video readings -> the portrait's motion: expression AUs, mouth, head pose, blinks, gaze.

EDTalk (§3.1-3.2) drives mouth, head pose and expression from separate sources; LES-Talker
(§3.4) reads an AU sequence from an "AU source" video. Here each source is read with MediaPipe
(`readings`) and only *changes* are carried over, so the reference's face shape is not copied:

- expression: per-AU readings relative to the reference's own neutral, divided by the readback
  gain (how strongly the same reader sees the rig's own AU when it is rendered on a portrait:
  `bench/reenact_targets.py --calibrate`). The neutral is the median of the reference's calmest
  frames (lowest total expression), limited to the range resting faces read (`REST_RANGE`): a
  calm reading inside that range is face shape and is subtracted; what lies beyond it is held
  expression (a MEAD clip acted throughout) and is transferred. Expression is slow: it is
  median-filtered over `EXPRESSION_WINDOW_S`, which removes the speech movements of the lips.
- mouth: the reference's inner-lip gap (cm of the canonical face) parts the portrait's lips
  (AU25) up to intensity 5 and drops its jaw beyond that, the jaw at least as far as the
  reference's jawOpen reading says, by the rig's own gap per unit; lip shapes (funnel, pucker,
  press, stretch, lower-lip tuck) are the ARKit blendshapes above their resting level, 1:1 (the
  inverse of `export.curves`).
- head pose: rotation relative to the reference's mean pose, as (pitch, yaw, roll).
- blinks: AU45 above the reference's open-eye level; gaze: eyeLook* relative to its median.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter
from scipy.spatial.transform import Rotation

from ..analyze import topology as topo
from ..control.les import AU_LIMIT
from ..drive.coarticulation import MouthTrack
from ..rig.basis import rig_basis
from ..vocab import AU_IDS, AU_INDEX, AU_MAX, MOUTH_INDEX
from .readings import LIP_SHAPES, DrivingReadings

# AU -> (reader, readback gain). An AU is transferred only where its reader sees the rig's own
# rendering reliably (readback gain >= 0.3 median and >= 0.2 on every shared portrait) and is
# not driven by the mouth (an opened jaw moves it by less than 1 rig unit). The blendshapes and
# the geometric solve barely see the rig's AU5, 6, 9, 14, 15, 17, 20, 23 (gains < 0.2), and AU7
# and AU10 read the jaw opening as lid tightening / upper-lip raise (1.7 and 5 rig units per
# jaw_open), so those stay with the portrait; AU5 is read instead as the eyelid aperture
# (`readings.eye_aperture_px`, in units of the rig's own aperture change per unit AU5). Mouth
# opening (AU25/26) and blinks (AU45) have channels of their own. Gains:
# bench/reenact_targets.py --calibrate (median over the five shared portraits at 512 px of the
# reading's change / 5 when the AU is rendered at +5).
TRANSFER_AUS: dict[int, tuple[str, float]] = {
    1: ("blendshape", 1.14),
    2: ("blendshape", 0.76),
    4: ("blendshape", 1.25),
    5: ("eye_aperture", 0.63),
    12: ("blendshape", 1.01),
}
# Raising the brows (AU1, AU2) lowers the browDown reading (readback crosstalk ~-0.6 per unit),
# so a drop of the AU4 reading is the brow raise the other AUs already carry: AU4 moves one way.
RAISE_ONLY_AUS: tuple[int, ...] = (4,)
# What resting faces read, (low, high) per transferred AU on its reader's scale: 95 % one-sided
# prediction bounds (Student's t) for one more resting face, from the calm readings of two calm
# speakers (../shared/media hdtf_aoc, theresa_may) and the three portraits with a relaxed face
# (painting, Einstein, Olsen); bench/reenact_targets.py --calibrate. Five faces are few, so the
# bounds are wide: a reference's calm reading is called held expression only well beyond them.
# The bounds are for the mean of both sides and are applied to each side.
REST_RANGE: dict[int, tuple[float, float]] = {
    1: (-3.7, 8.4), 2: (-3.5, 9.0), 4: (-3.0, 3.3), 5: (10.1, 19.6), 12: (-0.3, 0.7),
}
HELD_TOLERANCE = 0.1          # a calm reading this far outside REST_RANGE counts as held expression
CALM_SHARE = 0.1              # the calmest 10 % of frames are the reference's neutral
EXPRESSION_WINDOW_S = 0.5     # median filter: speech-rate lip motion is not expression
EXPRESSION_SMOOTH_S = 0.08    # then a light Gaussian

# Mouth: the inner-lip gap (cm of the canonical face) is split as FACS does: the lips part
# (AU25) up to intensity E (AU_MAX), a wider gap drops the jaw; and the jaw opens at least as far
# as the reference's jawOpen reading says (AU26, a rig-calibrated blendshape; readback gain
# below). Gaps convert by the rig's own gap per unit times the gap readback (MediaPipe's measured
# gap / the rig's, median over portraits at jaw_open 0.5 and 1: 1.02, range 0.78-1.49). Closed:
# the clip's 5th percentile, at most what closed mouths read (gap: rendered closed portraits
# 0.01-0.06 cm; AU26: the relaxed painting reads 2.5).
AU26_GAIN = 1.17
GAP_READBACK = 1.02
CLOSED_GAP_CM = 0.1
CLOSED_AU26 = 2.5
CLOSURE_GAP_CM = 0.25         # lips count as shut at the closed gap, as open CLOSURE_GAP_CM above it
JAW_MAX = 1.6                 # jaw opening cap, jaw_open units (beyond 1 it goes into AU26)
LIP_SHAPE_REST_PERCENTILE = 20
MOUTH_SMOOTH_S = 0.02
POSE_LIMIT_DEG = 30.0
GAZE_LIMIT = 0.3              # eye widths
GAZE_SMOOTH_S = 0.06
K26, K45 = AU_INDEX[26], AU_INDEX[45]


@dataclass(frozen=True)
class ExpressionTransfer:
    """deltas: [T, 17, 2] float32 AU changes (rig units, subject's left/right) to add to the
    portrait's neutral; neutral: [17, 2] the reference's neutral reading; calm_frames: [K] int,
    the frames it came from; held: [17] bool, AUs whose calm reading lay beyond the resting range
    (held expression, transferred)."""

    deltas: np.ndarray
    neutral: np.ndarray
    calm_frames: np.ndarray
    held: np.ndarray


@dataclass(frozen=True)
class VideoMouth:
    """track: the mouth controls per frame (closure = lips shut); jaw_au26: [T] float32 AU26
    carrying jaw openings wider than jaw_open 1 (0 elsewhere; `combine` opens the jaw to the
    larger of the two); lips_part_au25: [T] float32 AU25, the lip gap the jaw does not explain."""

    track: MouthTrack
    jaw_au26: np.ndarray
    lips_part_au25: np.ndarray


def expression_readings(readings: DrivingReadings) -> np.ndarray:
    """[T, 17, 2] each transferred AU's reading from its reader (0 for the others)."""
    out = np.zeros_like(readings.aus_blendshape)
    for au, (reader, _) in TRANSFER_AUS.items():
        k = AU_INDEX[au]
        if reader == "blendshape":
            out[:, k] = readings.aus_blendshape[:, k]
        elif reader == "geometry":
            out[:, k] = readings.aus_geometry[:, k, None]
        else:  # eye_aperture: in units of the rig's aperture change per unit AU5
            out[:, k] = readings.eye_aperture_cm[:, None] / rig_aperture_per_au5_cm()
    return out


def smooth_expression(values: np.ndarray, fps: float) -> np.ndarray:
    """[T, ...] -> median over EXPRESSION_WINDOW_S then a light Gaussian, along time."""
    window = max(1, int(round(EXPRESSION_WINDOW_S * fps)) | 1)
    size = (window,) + (1,) * (values.ndim - 1)
    out = median_filter(values, size=size, mode="nearest")
    return gaussian_filter1d(out, max(EXPRESSION_SMOOTH_S * fps, 1e-3), axis=0, mode="nearest")


def _per_au(table: dict, index: int) -> np.ndarray:
    out = np.zeros(len(AU_IDS))
    for au, values in table.items():
        out[AU_INDEX[au]] = values[index]
    return out


def calm_reading(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed readings [T, 17, 2] -> (median reading of the calm frames [17, 2], their
    indices [K]). Calm frames: the CALM_SHARE of frames with the lowest total reading of the
    transferred AUs whose reading is 0 on a relaxed face (the blendshape readers; each in rig
    units, i.e. divided by its readback gain). The eyelid aperture is no activity measure (its
    size is the eye's), so AU5 is read on the frames the other AUs chose."""
    gain = np.maximum(_per_au(TRANSFER_AUS, 1), 1e-6)[:, None]
    rows = [AU_INDEX[au] for au, (reader, _) in TRANSFER_AUS.items() if reader == "blendshape"]
    activity = (values / gain)[:, rows].sum(axis=(1, 2))
    count = max(1, int(round(CALM_SHARE * len(values))))
    calm = np.sort(np.argsort(activity, kind="stable")[:count])
    return np.median(values[calm], axis=0), calm


def neutral_expression(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed readings [T, 17, 2] -> (neutral [17, 2], calm frame indices [K], held [17] bool):
    the calm frames' reading limited to REST_RANGE; `held` marks AUs whose calm reading lay
    beyond that range (by more than HELD_TOLERANCE)."""
    reading, calm = calm_reading(values)
    lo, hi = _per_au(REST_RANGE, 0)[:, None], _per_au(REST_RANGE, 1)[:, None]
    neutral = np.clip(reading, lo, hi)
    rows = [AU_INDEX[au] for au in TRANSFER_AUS]
    held = np.zeros(len(AU_IDS), bool)
    held[rows] = np.any(np.abs(reading - neutral)[rows] > HELD_TOLERANCE, axis=1)
    return neutral, calm, held


def transfer_expression(readings: DrivingReadings) -> ExpressionTransfer:
    """The reference's expression as AU changes in rig units, per frame (see module)."""
    values = smooth_expression(expression_readings(readings), readings.fps)
    neutral, calm, held = neutral_expression(values)
    gain = np.ones(len(AU_IDS))
    for au, (_, g) in TRANSFER_AUS.items():
        gain[AU_INDEX[au]] = g
    deltas = (values - neutral) / gain[:, None]
    for au in RAISE_ONLY_AUS:
        deltas[:, AU_INDEX[au]] = np.maximum(deltas[:, AU_INDEX[au]], 0.0)
    mask = np.zeros(len(AU_IDS), bool)
    mask[[AU_INDEX[au] for au in TRANSFER_AUS]] = True
    deltas[:, ~mask] = 0.0
    return ExpressionTransfer(np.clip(deltas, -AU_LIMIT, AU_LIMIT).astype(np.float32),
                              neutral.astype(np.float32), calm, held)


@functools.lru_cache(maxsize=1)
def rig_aperture_per_au5_cm() -> float:
    """How far (cm) one unit of the rig's AU5 (both sides) opens the eyelids (middle points)."""
    from .readings import EYELIDS

    field = rig_basis().au[AU_INDEX[5]].sum(axis=0)
    return float(np.mean([field[list(up), 1].mean() - field[list(low), 1].mean() for up, low in EYELIDS]))


def _rig_gap_cm(field: np.ndarray) -> float:
    """How far (cm) a rig field [468, 3] parts the middle of the inner lips."""
    lower = field[list(topo.LIPS_LOWER_INNER[3:-3]), 1].mean()
    upper = field[list(topo.LIPS_UPPER_INNER[3:-3]), 1].mean()
    return float(upper - lower)  # canonical y is up: the lower lip moves down


@functools.lru_cache(maxsize=1)
def rig_gap_per_jaw_open_cm() -> float:
    """Inner-lip gap (cm) of the rig's jaw_open = 1."""
    return _rig_gap_cm(rig_basis().mouth[MOUTH_INDEX["jaw_open"]])


@functools.lru_cache(maxsize=1)
def rig_gap_per_au_cm() -> tuple[float, float]:
    """Inner-lip gap (cm) of one unit of the rig's AU25 and AU26 (both sides)."""
    au = rig_basis().au.sum(axis=1)
    return _rig_gap_cm(au[AU_INDEX[25]]), _rig_gap_cm(au[AU_INDEX[26]])


def transfer_mouth(readings: DrivingReadings) -> VideoMouth:
    """The reference's mouth -> jaw, lips parting and lip shapes per frame (see module)."""
    from ..motion.performance import JAW_OPEN_PER_AU26

    fps = readings.fps
    gap = gaussian_filter1d(readings.lip_gap_cm, MOUTH_SMOOTH_S * fps, mode="nearest")
    au26 = readings.aus_blendshape[:, K26].mean(1)
    au26 = np.maximum(au26 - min(float(np.percentile(au26, 5)), CLOSED_AU26), 0.0) / AU26_GAIN
    opening = np.maximum(gap - min(float(np.percentile(gap, 5)), CLOSED_GAP_CM), 0.0) / GAP_READBACK
    per_25, per_26 = rig_gap_per_au_cm()
    beyond_lips = np.maximum(opening - AU_MAX * per_25, 0.0) / per_26 * JAW_OPEN_PER_AU26
    jaw = np.minimum(np.maximum(au26 * JAW_OPEN_PER_AU26, beyond_lips), JAW_MAX)
    jaw_gap = np.minimum(jaw / JAW_OPEN_PER_AU26 * per_26, opening)
    au25 = np.clip((opening - jaw_gap) / per_25, 0.0, AU_MAX)
    n = len(readings)
    mouth = np.zeros((n, 6), np.float32)
    mouth[:, MOUTH_INDEX["jaw_open"]] = np.minimum(jaw, 1.0)
    rest = np.percentile(readings.lip_shapes, LIP_SHAPE_REST_PERCENTILE, axis=0)
    for j, (control, _) in enumerate(LIP_SHAPES):
        mouth[:, MOUTH_INDEX[control]] = np.clip(readings.lip_shapes[:, j] - rest[j], 0.0, 1.0)
    closure = np.clip(1.0 - opening / CLOSURE_GAP_CM, 0.0, 1.0).astype(np.float32)
    beyond = np.where(jaw > 1.0, jaw / JAW_OPEN_PER_AU26, 0.0).astype(np.float32)
    return VideoMouth(MouthTrack(mouth, closure, fps), beyond, au25.astype(np.float32))


def transfer_pose(readings: DrivingReadings) -> np.ndarray:
    """[T, 3] float32 rad (pitch, yaw, roll) in image axes relative to the reference's mean
    pose (`RigParams.head_rotation` convention), each axis within +-POSE_LIMIT_DEG."""
    rotations = Rotation.from_matrix(readings.rotation)
    mean = rotations[readings.found].mean() if readings.found.any() else rotations.mean()
    relative = rotations * mean.inv()
    pose = relative.as_euler("xyz")
    limit = np.deg2rad(POSE_LIMIT_DEG)
    return np.clip(pose, -limit, limit).astype(np.float32)


def transfer_blinks(readings: DrivingReadings) -> np.ndarray:
    """[T] float32 eyelid closure 0-1: AU45 above its median (the open-eye level) / 5."""
    au45 = readings.aus_blendshape[:, K45].mean(1)
    return np.clip((au45 - np.median(au45)) / AU_MAX, 0.0, 1.0).astype(np.float32)


def transfer_gaze(readings: DrivingReadings) -> np.ndarray:
    """[T, 2] float32 gaze shift in eye widths relative to the reference's median gaze."""
    gaze = readings.gaze - np.median(readings.gaze, axis=0)
    if readings.fps:
        gaze = gaussian_filter1d(gaze, GAZE_SMOOTH_S * readings.fps, axis=0, mode="nearest")
    return np.clip(gaze, -GAZE_LIMIT, GAZE_LIMIT).astype(np.float32)
