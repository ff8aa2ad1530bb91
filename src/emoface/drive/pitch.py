"""Voice pitch (F0) over time by autocorrelation, for the voice's arousal in `--emotion auto`.

Method: Boersma (1993), "Accurate short-term analysis of the fundamental frequency and the
harmonics-to-noise ratio of a sampled sound" (the method of Praat's "To Pitch (ac)"): each
Hann-windowed frame's autocorrelation is divided by the window's own autocorrelation, the
highest peak between 1/F0_MAX and 1/F0_MIN is refined by parabolic interpolation, and the frame
is voiced when that peak's normalised height reaches VOICING_THRESHOLD (Praat's default 0.45)
and the frame is loud enough to be speech (`prosody.speech_mask`).

Convention: one value per `prosody.HOP_S` (10 ms) hop, value i centred at (i + 0.5) * HOP_S s,
as `prosody.loudness_db`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import Audio
from .prosody import HOP_S, loudness_db, speech_mask

F0_MIN_HZ = 75.0      # Praat's default floor
F0_MAX_HZ = 500.0
VOICING_THRESHOLD = 0.45
OCTAVE_COST = 0.01        # Praat's: per octave below F0_MAX, favours the true period over 2x it
PERIODS_PER_WINDOW = 3.0  # Boersma: the window spans 3 periods of the lowest F0


@dataclass(frozen=True)
class PitchTrack:
    """f0_hz: [F] float32 Hz per 10 ms hop, NaN where unvoiced; strength: [F] float32 normalised
    autocorrelation peak (0-1) of each hop."""

    f0_hz: np.ndarray
    strength: np.ndarray

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0_hz)


def _frames(samples: np.ndarray, sample_rate: int, window: int) -> np.ndarray:
    """[N] samples -> [F, window] frames centred on the hop centres (zero-padded at the ends)."""
    hop = int(round(sample_rate * HOP_S))
    n = int(np.ceil(len(samples) / hop))
    centres = (np.arange(n) * hop + hop // 2)
    padded = np.concatenate([np.zeros(window), samples.astype(np.float64), np.zeros(window)])
    starts = centres - window // 2 + window
    return padded[starts[:, None] + np.arange(window)[None, :]]


def _peak(r: np.ndarray, lag_lo: int, lag_hi: int) -> tuple[float, float]:
    """Best local maximum of r[lag_lo..lag_hi] (height minus OCTAVE_COST per octave of lag
    above lag_lo) -> (refined lag in samples, height); (nan, 0) if there is none."""
    seg = r[lag_lo - 1:lag_hi + 2]
    inner = seg[1:-1]
    is_max = (inner >= seg[:-2]) & (inner > seg[2:])
    if not np.any(is_max):
        return float("nan"), 0.0
    octaves = np.log2(np.arange(lag_lo, lag_lo + len(inner)) / lag_lo)
    k = int(np.argmax(np.where(is_max, inner - OCTAVE_COST * octaves, -np.inf)))
    a, b, c = seg[k], seg[k + 1], seg[k + 2]
    denom = a - 2 * b + c
    shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
    return lag_lo + k + shift, float(b - 0.25 * (a - c) * shift)


def pitch_track(audio: Audio, f0_min_hz: float = F0_MIN_HZ, f0_max_hz: float = F0_MAX_HZ) -> PitchTrack:
    """Audio (any rate, mono float32) -> PitchTrack, one value per 10 ms hop."""
    sr = audio.sample_rate
    window = int(round(PERIODS_PER_WINDOW / f0_min_hz * sr))
    frames = _frames(audio.samples, sr, window)                      # [F, W]
    if len(frames) == 0:
        return PitchTrack(np.zeros(0, np.float32), np.zeros(0, np.float32))
    hann = np.hanning(window)
    frames = (frames - frames.mean(1, keepdims=True)) * hann
    size = int(2 ** np.ceil(np.log2(2 * window)))
    r_x = np.fft.irfft(np.abs(np.fft.rfft(frames, size, axis=1)) ** 2, size, axis=1)[:, :window]
    r_w = np.fft.irfft(np.abs(np.fft.rfft(hann, size)) ** 2, size)[:window]
    energy = np.maximum(r_x[:, :1], 1e-12)
    lag_hi = min(int(np.ceil(sr / f0_min_hz)), window // 2)   # Boersma: lags up to half the window
    lag_lo = max(2, int(np.floor(sr / f0_max_hz)))
    r = (r_x / energy) / np.maximum(r_w / r_w[0], 1e-6)[None, :]
    loud = speech_mask(loudness_db(audio))
    f0 = np.full(len(frames), np.nan, np.float32)
    strength = np.zeros(len(frames), np.float32)
    for i in range(len(frames)):
        if r_x[i, 0] <= 1e-10:
            continue
        lag, height = _peak(r[i], lag_lo, lag_hi)
        strength[i] = max(0.0, min(1.0, height))
        if height >= VOICING_THRESHOLD and i < len(loud) and loud[i]:
            f0[i] = sr / lag
    return PitchTrack(f0, strength)


def pitch_track_reference(audio: Audio, f0_min_hz: float = F0_MIN_HZ, f0_max_hz: float = F0_MAX_HZ) -> PitchTrack:
    """The same analysis written out with np.correlate, frame by frame (slow; for tests)."""
    sr = audio.sample_rate
    window = int(round(PERIODS_PER_WINDOW / f0_min_hz * sr))
    frames = _frames(audio.samples, sr, window)
    hann = np.hanning(window)
    r_w = np.correlate(hann, hann, "full")[window - 1:]
    lag_hi = min(int(np.ceil(sr / f0_min_hz)), window // 2)
    lag_lo = max(2, int(np.floor(sr / f0_max_hz)))
    loud = speech_mask(loudness_db(audio))
    f0 = np.full(len(frames), np.nan, np.float32)
    strength = np.zeros(len(frames), np.float32)
    for i, frame in enumerate(frames):
        x = (frame - frame.mean()) * hann
        r_x = np.correlate(x, x, "full")[window - 1:]
        if r_x[0] <= 1e-10:
            continue
        r = (r_x / r_x[0]) / np.maximum(r_w / r_w[0], 1e-6)
        lag, height = _peak(r, lag_lo, lag_hi)
        strength[i] = max(0.0, min(1.0, height))
        if height >= VOICING_THRESHOLD and i < len(loud) and loud[i]:
            f0[i] = sr / lag
    return PitchTrack(f0, strength)
