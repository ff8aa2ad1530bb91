"""Per-frame LES vectors as CSV (`--export-les out.csv`), and reading them back (`les-plot`).

One header row, then one row per video frame:

    frame      frame index from 0
    time_s     frame time in seconds (frame / fps)
    emotion    the strongest emotion shown at that frame (neutral when none reaches level 0.05;
               the portrait's own expression without --emotion counts as neutral)
    level      that emotion's level at that frame (eased between keys like the face)
    u_AU1 .. u_AU45     e1-e17, action subspace: (AU - mu_D) / sigma_D, AU = the frame's
                        intensity (0-5, mean of both sides) as the face is given it (emotion,
                        AU edits, blinks in AU45, lips giving way on b/p/m in AU10/25/26); the
                        speech mouth controls are separate and not in it
    v_AU1 .. v_AU45     e18-e34, isolation subspace: |AU| / sigma_emo of the frame's emotion
    v_od_angry .. v_od_surprised   e35-e41: od = norm of e18-e34 in the frame's emotion's
                        column, 0 elsewhere (all 0 for neutral)

`control.les_vector` documents the statistics (mu_D, sigma_D, sigma_emo) and the blend used
while one emotion changes into another.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..control.les_vector import LES_DIM, column_names, emotion_weights, frame_labels, frame_levels, les_vectors
from ..control.timeline import EmotionKey
from ..errors import InputError
from ..io.images import atomic_output
from ..vocab import EMOTIONS

LEADING_COLUMNS = ("frame", "time_s", "emotion", "level")
MAX_ROWS = 500_000


@dataclass(frozen=True)
class LesClip:
    """LES vectors of one clip. vectors: [T, 41]; time_s: [T] s; emotions: T names; levels: [T]."""

    name: str
    time_s: np.ndarray
    emotions: tuple[str, ...]
    levels: np.ndarray
    vectors: np.ndarray


def performance_keys(emotion: str | None, level: float, timeline) -> list[EmotionKey]:
    """The emotion a performance was made with, as timeline keys."""
    return list(timeline) if timeline else [EmotionKey(0.0, emotion, float(level))]


def les_clip(aus: np.ndarray, fps: float, keys, transition_s: float, name: str = "") -> LesClip:
    """Per-frame AUs [T, 17, 2] (0-5) of a performance and its emotion keys -> LesClip."""
    n = len(aus)
    levels = frame_levels(keys, n, fps, transition_s)                  # [T, 8]
    names, top = frame_labels(levels)
    return LesClip(name, np.arange(n) / fps, tuple(names), top, les_vectors(aus, emotion_weights(levels)))


def save_les(path, clip: LesClip) -> Path:
    """Write `clip` as the CSV described in the module docstring, atomically."""
    out = Path(path)
    with atomic_output(out) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(list(LEADING_COLUMNS) + column_names())
        for k in range(len(clip.vectors)):
            writer.writerow([k, f"{clip.time_s[k]:.4f}", clip.emotions[k], f"{clip.levels[k]:.4f}"]
                            + [f"{x:.5f}" for x in clip.vectors[k]])
    return out


def load_les(path) -> LesClip:
    """Read a CSV written by `save_les` -> LesClip (name = the file's stem). InputError with
    the file and line for anything else."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such LES file")
    wanted = list(LEADING_COLUMNS) + column_names()
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or [h.strip() for h in header] != wanted:
                raise InputError(f"{path}, line 1: not an emoface LES file (expected the header "
                                 f"{','.join(wanted[:6])},...; write one with --export-les)")
            times, emotions, levels, vectors = [], [], [], []
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                line = reader.line_num
                if len(cells) != len(wanted):
                    raise InputError(f"{path}, line {line}: {len(cells)} columns, expected {len(wanted)}")
                if cells[2] not in EMOTIONS:
                    raise InputError(f"{path}, line {line}: unknown emotion '{cells[2]}'")
                try:
                    numbers = [float(c) for c in [cells[1], cells[3]] + cells[4:]]
                except ValueError:
                    raise InputError(f"{path}, line {line}: a value is not a number") from None
                if not all(math.isfinite(x) for x in numbers):
                    raise InputError(f"{path}, line {line}: a value is not finite")
                times.append(numbers[0])
                emotions.append(cells[2])
                levels.append(numbers[1])
                vectors.append(numbers[2:])
                if len(vectors) > MAX_ROWS:
                    raise InputError(f"{path}: more than {MAX_ROWS} frames")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file") from None
    if not vectors:
        raise InputError(f"{path}: no frames in the LES file")
    return LesClip(path.stem, np.array(times), tuple(emotions), np.array(levels),
                   np.array(vectors, np.float64).reshape(-1, LES_DIM))
