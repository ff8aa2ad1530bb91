"""Emotions that change over time: keyed emotion targets blended into a per-frame AU track.

A timeline is a list of keys (time_s, emotion, level): around each key's time the face moves
towards that key's LES target and holds it until the next key. Each change eases over
`transition_s` with a raised-cosine ramp centred on its key, so the face never jumps and the
switch a viewer sees (the halfway point) lands on the key's time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

DEFAULT_TRANSITION_S = 0.35


@dataclass(frozen=True)
class EmotionKey:
    """From time_s (s) on, show `emotion` (None = the portrait's own expression) at `level`."""

    time_s: float
    emotion: str | None
    level: float


def timeline_aus(keys: list[EmotionKey], n_frames: int, fps: float, target_for,
                 transition_s: float = DEFAULT_TRANSITION_S) -> np.ndarray:
    """-> [T, 17, 2] float32 target AUs per frame.

    target_for: callable (emotion, level) -> [17, 2] absolute target AUs (LES with the
    portrait's relaxation and AU edits already applied). Any other per-key array shape S is
    eased the same way and gives [T, *S] (e.g. per-emotion levels for the LES export)."""
    if not keys:
        raise InputError("an emotion timeline needs at least one key")
    keys = sorted(keys, key=lambda k: k.time_s)
    times = np.arange(n_frames) / fps
    first = np.asarray(target_for(keys[0].emotion, keys[0].level), np.float32)
    current = np.broadcast_to(first, (n_frames,) + first.shape).copy()
    for key in keys[1:]:
        target = target_for(key.emotion, key.level)
        span = max(transition_s, 1e-3)
        ramp = np.clip((times - key.time_s) / span + 0.5, 0.0, 1.0)
        ramp = (0.5 - 0.5 * np.cos(np.pi * ramp)).reshape((-1,) + (1,) * first.ndim)
        current = current + (target[None] - current) * ramp
    return current.astype(np.float32)


def parse_timeline(text: str, default_level: float = 2.0) -> list[EmotionKey]:
    """"0:neutral 1.5:happy@2 4:sad@1.5" (spaces or commas between keys) -> sorted keys.

    Each key is TIME_S:EMOTION[@LEVEL] or TIME_S:a mixture such as happy@1.5+surprised@1; the
    level defaults to `default_level` (0 for neutral).
    Raises InputError naming the bad key."""
    from .les import parse_mixture

    keys = []
    for token in text.replace(",", " ").split():
        when, sep, spec = token.partition(":")
        try:
            time_s = float(when)
        except ValueError:
            raise InputError(f"bad emotion key '{token}': use TIME:EMOTION[@LEVEL], e.g. 1.5:happy@2") from None
        if not sep or not (np.isfinite(time_s) and time_s >= 0):
            raise InputError(f"bad emotion key '{token}': use TIME:EMOTION[@LEVEL] with TIME >= 0 s")
        try:
            parts = parse_mixture(spec, default_level)
        except InputError as exc:
            raise InputError(f"bad emotion key '{token}': {exc}") from None
        if len(parts) == 1:
            name, level = parts[0]
            level = level if "@" in spec or name != "neutral" else 0.0
            keys.append(EmotionKey(time_s, name, level))
        else:
            keys.append(EmotionKey(time_s, "+".join(f"{n}@{lv:g}" for n, lv in parts), default_level))
    if not keys:
        raise InputError("an emotion timeline needs at least one TIME:EMOTION[@LEVEL] key")
    return distinct_times(sorted(keys, key=lambda k: k.time_s), "the emotion timeline")


def distinct_times(keys: list[EmotionKey], where: str) -> list[EmotionKey]:
    """keys sorted by time -> the same keys; InputError naming two keys that share a time
    (which one should show is ambiguous: the last listed would silently win)."""
    for a, b in zip(keys, keys[1:]):
        if b.time_s == a.time_s:
            raise InputError(f"{where} has two keys at {a.time_s:g} s ({_label(a)} and {_label(b)}): "
                             "give each key its own time (a mixture such as happy@2+surprised@1 "
                             "shows two emotions at once)")
    return keys


def _label(key: EmotionKey) -> str:
    if key.emotion is None or "@" in key.emotion:
        return str(key.emotion or "the portrait's own expression")
    return f"{key.emotion}@{key.level:g}"
