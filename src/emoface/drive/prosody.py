"""Loudness of speech over time: drives mouth emphasis, head nods and the energy fallback.

Convention: envelopes are sampled every `HOP_S` seconds; value i covers [i*HOP_S, (i+1)*HOP_S).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..types import Audio

HOP_S = 0.01
FLOOR_DB = -80.0


def loudness_db(audio: Audio, window_s: float = 0.03) -> np.ndarray:
    """[F] float32 RMS level in dBFS, one value per 10 ms hop (F = ceil(duration / HOP_S))."""
    hop = max(1, int(round(audio.sample_rate * HOP_S)))
    x = audio.samples.astype(np.float32)
    n = int(np.ceil(len(x) / hop))
    if n == 0:
        return np.zeros(0, np.float32)
    power = np.zeros(n * hop, np.float32)
    power[: len(x)] = x * x
    frame_power = power.reshape(n, hop).mean(1)
    width = max(1, int(round(window_s / HOP_S)))
    smooth = uniform_filter1d(frame_power, width, mode="nearest")
    return (10.0 * np.log10(np.maximum(smooth, 10 ** (FLOOR_DB / 10)))).astype(np.float32)


def speech_mask(level_db: np.ndarray, margin_db: float = 30.0, min_above_floor_db: float = 12.0) -> np.ndarray:
    """[F] bool: hops loud enough to be speech (within `margin_db` of the loud end of the clip
    and `min_above_floor_db` above its noise floor)."""
    if len(level_db) == 0:
        return np.zeros(0, bool)
    loud = float(np.percentile(level_db, 95))
    floor = float(np.percentile(level_db, 10))
    threshold = max(loud - margin_db, floor + min_above_floor_db, FLOOR_DB + 20.0)
    return level_db > threshold


def sample_envelope(envelope: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Linearly interpolate a HOP_S envelope at arbitrary times (s) -> [len(times_s)]."""
    if len(envelope) == 0:
        return np.zeros(len(times_s), np.float32)
    centres = (np.arange(len(envelope)) + 0.5) * HOP_S
    return np.interp(times_s, centres, envelope).astype(np.float32)


def loudness_at(audio: Audio):
    """The audio's loudness (dB, `loudness_db`) as a function of time: times_s [N] -> [N], or
    None for audio too short to have an envelope (the mouth and head then ignore loudness)."""
    envelope = loudness_db(audio)
    return (lambda t: sample_envelope(envelope, np.asarray(t))) if len(envelope) else None
