"""Combine emotion, speech and non-verbal motion into one performance, frame by frame.

Emotion is a residual on top of neutral talking (Gaussian-EmoTalker §IV): the speech mouth
controls articulate, the emotion's AUs stay, and where they meet:

- jaw: the mouth opens to max(emotion's jaw, speech jaw), so a surprised speaker's jaw never
  closes above its emotional baseline, except...
- closures: on a bilabial the emotion's lip parting (AU25), jaw drop (AU26) and upper-lip raise
  (AU10) give way, so the lips still meet for "b" (a happy speaker keeps AU12 while closing);
  a labiodental tuck likewise cancels AU25.
- blinks: AU45 = max(emotion's AU45, blink).

Convention: AU arrays are absolute intensities on the 0-5 scale, [T, 17, 2] (subject's left,
right); the rig receives deltas from the portrait's own AUs.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..drive.coarticulation import JAW, TUCK, MouthTrack
from ..rig.basis import JAW_ANGLE_AU26, JAW_ANGLE_OPEN
from ..types import RigParams
from ..vocab import AU_INDEX, AU_MAX

YIELD_TO_CLOSURE = tuple(AU_INDEX[a] for a in (10, 25, 26))
K25, K26, K45 = AU_INDEX[25], AU_INDEX[26], AU_INDEX[45]
JAW_OPEN_PER_AU26 = float(JAW_ANGLE_AU26 / JAW_ANGLE_OPEN) / AU_MAX  # jaw_open units per AU26 unit


@dataclass(frozen=True)
class Performance:
    """What is animated, per frame (T frames at fps).

    aus:    [T, 17, 2] float32 absolute AU intensities (0-5; `vocab.AU_IDS` rows; left, right).
    mouth:  [T, 6] float32 speech mouth controls actually applied (`vocab.MOUTH_CONTROLS`).
    head:   [T, 3] float32 rad (pitch, yaw, roll) relative to the portrait's pose.
    gaze:   [T, 2] float32 eye-width units (x right, y down) relative to the portrait's gaze.
    """

    fps: float
    aus: np.ndarray
    mouth: np.ndarray
    head: np.ndarray
    gaze: np.ndarray

    def __len__(self) -> int:
        return len(self.aus)

    def rig_params(self, source_aus: np.ndarray) -> Iterator[RigParams]:
        """Per-frame rig parameters (deltas from the portrait's own AUs [17, 2])."""
        for k in range(len(self)):
            yield RigParams(au_delta=(self.aus[k] - source_aus).astype(np.float32),
                            mouth=self.mouth[k], head_rotation=self.head[k], gaze=self.gaze[k])


def combine(emotion_aus: np.ndarray, speech: MouthTrack, head: np.ndarray, blink: np.ndarray,
            gaze: np.ndarray) -> Performance:
    """emotion_aus: [T, 17, 2] or [17, 2] target AUs; speech: T frames; head [T, 3] rad;
    blink [T] closure 0-1; gaze [T, 2] -> Performance."""
    n = len(speech)
    aus = np.broadcast_to(emotion_aus, (n,) + emotion_aus.shape[-2:]).astype(np.float32).copy()
    mouth = speech.mouth.copy()
    give_way = np.maximum(speech.closure, mouth[:, TUCK])
    for k in YIELD_TO_CLOSURE:
        scale = 1.0 - (give_way if k == K25 else speech.closure)
        aus[:, k] *= scale[:, None]
    emotion_jaw = np.clip(aus[:, K26].mean(1), 0, None) * JAW_OPEN_PER_AU26
    mouth[:, JAW] = np.maximum(mouth[:, JAW] - emotion_jaw, 0.0)
    aus[:, K45] = np.maximum(aus[:, K45], blink[:, None] * AU_MAX)
    return Performance(float(speech.fps), aus, mouth, head.astype(np.float32), gaze.astype(np.float32))
