"""Head pose that follows speech: nods on stressed syllables, slow drift, rest in pauses.

Like EDTalk's stochastic pose (§3.3), pose is sampled, not regressed: a seeded random drift per
axis (low-pass Gaussian noise) whose amplitude grows while the person speaks and settles in
pauses, plus a nod (chin down and back) on each stressed vowel, scaled by how loud it is.

Convention: (pitch, yaw, roll) in radians in image axes (x right, y down, z away from the
camera), as `RigParams.head_rotation`; positive pitch tips the chin down.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..types import PhonemeTrack
from ..drive.phonemes import VOWELS

DRIFT_DEG = np.array([1.6, 2.4, 1.0], np.float32)  # rms per axis while speaking
DRIFT_CUTOFF_S = 1.2          # Gaussian smoothing of the noise (s): slow sway
REST_SHARE = 0.35             # drift amplitude left in pauses
NOD_DEG = 1.8                 # a typical stressed syllable's nod
NOD_RISE_S = 0.12             # time to the nod's deepest point
ACTIVITY_SMOOTH_S = 0.4


def speech_activity(track: PhonemeTrack, times_s: np.ndarray, fps: float) -> np.ndarray:
    """[T] in [0, 1]: smoothed "is speaking" (any non-silent phone), for motion amplitudes."""
    speaking = np.zeros(len(times_s), np.float32)
    for p, s, e in zip(track.phones, track.start_s, track.end_s):
        if p != "SIL":
            speaking[(times_s >= s) & (times_s < e)] = 1.0
    return np.clip(gaussian_filter1d(speaking, ACTIVITY_SMOOTH_S * fps, mode="nearest"), 0, 1)


def nod_events(track: PhonemeTrack, level_at) -> tuple[np.ndarray, np.ndarray]:
    """Stressed vowels -> (onset times [K] s, strengths [K] ~0.5-1.5)."""
    idx = [i for i, (p, st) in enumerate(zip(track.phones, track.stress)) if p in VOWELS and st == 1]
    if not idx:
        return np.zeros(0), np.zeros(0)
    onsets = track.start_s[idx]
    if level_at is None:
        return onsets, np.ones(len(idx))
    mids = (track.start_s[idx] + track.end_s[idx]) / 2
    levels = np.asarray(level_at(mids), np.float64)
    strength = np.clip(1.0 + (levels - np.median(levels)) / 10.0, 0.3, 1.6)
    return onsets, strength


def head_motion(track: PhonemeTrack, n_frames: int, fps: float, seed: int = 0,
                scale: float = 1.0, level_at=None) -> np.ndarray:
    """-> [T, 3] float32 rad (pitch, yaw, roll) per frame; reproducible for a given seed."""
    if n_frames == 0 or scale == 0.0:
        return np.zeros((n_frames, 3), np.float32)
    rng = np.random.default_rng(seed)
    times = np.arange(n_frames) / fps
    activity = speech_activity(track, times, fps)
    sigma = DRIFT_CUTOFF_S * fps
    noise = gaussian_filter1d(rng.standard_normal((n_frames + int(6 * sigma), 3)), sigma, axis=0,
                              mode="wrap")[: n_frames]
    noise /= max(float(noise.std()), 1e-6)
    drift = noise * DRIFT_DEG * (REST_SHARE + (1 - REST_SHARE) * activity[:, None])
    pose = drift.astype(np.float64)
    onsets, strength = nod_events(track, level_at)
    for t0, s in zip(onsets, strength * (0.8 + 0.4 * rng.random(len(onsets)))):
        tau = np.clip(times - t0, 0, None) / NOD_RISE_S
        pose[:, 0] += NOD_DEG * s * tau * np.exp(1 - tau) * (times >= t0)
    pose = gaussian_filter1d(pose, 0.04 * fps, axis=0, mode="nearest")
    return np.deg2rad(pose * scale).astype(np.float32)
