"""Blinks and small gaze shifts, seeded and reproducible.

Blinks: spontaneous blinking runs at ~15-20 per minute in conversation, with random
(gamma-distributed) spacing, a refractory gap, occasional double blinks, and a pull towards
pauses. A blink closes in ~70 ms, stays shut ~30 ms and reopens in ~130 ms.
Gaze: the eyes hold a point, then jump (a saccade of ~40 ms) to a nearby one every ~1-3 s.
"""
from __future__ import annotations

import numpy as np

MEAN_BLINK_GAP_S = 3.5
MIN_BLINK_GAP_S = 0.9
DOUBLE_BLINK_P = 0.1
CLOSE_S, HOLD_S, OPEN_S = 0.07, 0.03, 0.13
MEAN_FIXATION_S = 1.8
GAZE_SPREAD = np.array([0.06, 0.03])  # x, y in eye widths (std)
SACCADE_S = 0.04


def blink_profile(t_rel: np.ndarray) -> np.ndarray:
    """Lid closure (0 open .. 1 shut) at times relative to a blink's start (s)."""
    c = np.zeros_like(t_rel, dtype=np.float32)
    closing = (t_rel >= 0) & (t_rel < CLOSE_S)
    c[closing] = np.sin(0.5 * np.pi * t_rel[closing] / CLOSE_S) ** 2
    c[(t_rel >= CLOSE_S) & (t_rel < CLOSE_S + HOLD_S)] = 1.0
    opening = (t_rel >= CLOSE_S + HOLD_S) & (t_rel < CLOSE_S + HOLD_S + OPEN_S)
    c[opening] = np.cos(0.5 * np.pi * (t_rel[opening] - CLOSE_S - HOLD_S) / OPEN_S) ** 2
    return c


def blink_times(duration_s: float, rng: np.random.Generator, pauses_s: np.ndarray | None = None) -> list[float]:
    """Blink start times (s): gamma spacing (shape 3), snapped to a pause starting within 0.6 s."""
    out, t = [], float(rng.uniform(0.4, 2.0))
    pauses = np.asarray(pauses_s if pauses_s is not None else [], np.float64)
    while t < duration_s - 0.1:
        if len(pauses):
            near = pauses[np.abs(pauses - t) < 0.6]
            if len(near) and (not out or near[0] - out[-1] > MIN_BLINK_GAP_S):
                t = float(near[0])
        out.append(t)
        if rng.random() < DOUBLE_BLINK_P:
            out.append(t + CLOSE_S + HOLD_S + OPEN_S + 0.08)
        t = out[-1] + MIN_BLINK_GAP_S + float(rng.gamma(3.0, (MEAN_BLINK_GAP_S - MIN_BLINK_GAP_S) / 3.0))
    return [b for b in out if b < duration_s]


def blink_track(n_frames: int, fps: float, seed: int = 0, pauses_s=None) -> np.ndarray:
    """-> [T] float32 lid closure per frame (both eyes)."""
    rng = np.random.default_rng([seed, 1])
    times = np.arange(n_frames) / fps
    closure = np.zeros(n_frames, np.float32)
    for t0 in blink_times(n_frames / fps, rng, pauses_s):
        closure = np.maximum(closure, blink_profile(times - t0))
    return closure


def gaze_track(n_frames: int, fps: float, seed: int = 0) -> np.ndarray:
    """-> [T, 2] float32 gaze offset (x right, y down) in eye widths, piecewise constant with
    short smooth saccades."""
    rng = np.random.default_rng([seed, 2])
    times = np.arange(n_frames) / fps
    gaze = np.zeros((n_frames, 2), np.float32)
    t, current = 0.0, np.zeros(2)
    while t < n_frames / fps:
        nxt = t + float(rng.gamma(2.0, MEAN_FIXATION_S / 2.0))
        target = np.clip(rng.normal(0.0, GAZE_SPREAD), -2.5 * GAZE_SPREAD, 2.5 * GAZE_SPREAD)
        if rng.random() < 0.35:
            target = np.zeros(2)  # back to the camera
        ramp = np.clip((times - nxt) / SACCADE_S, 0, 1)[:, None]
        seg = (times >= t)
        gaze[seg] = (current + (target - current) * ramp[seg])
        t, current = nxt, target
    return gaze
