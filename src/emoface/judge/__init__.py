"""Independent judges of emoface's output (DESIGN.md "Judging our own output").

Models the generator never uses: fer's emotion CNN (`judge.emotion`) and dlib's 68-point
landmarks and identity embedding (`judge.dlib_face`). Needs the `judge` extra; models load on
first use, never at import (importing this package imports neither dlib nor the TFLite runtime).
"""
from __future__ import annotations

from .dlib_face import (
    SAME_PERSON_THRESHOLD,
    identity_distance,
    identity_embedding,
    landmarks68,
    mouth_opening,
)
from .emotion import EMOTION_CLASSES, judge_emotion, top_emotion

__all__ = [
    "EMOTION_CLASSES", "judge_emotion", "top_emotion",
    "landmarks68", "identity_embedding", "identity_distance", "mouth_opening",
    "SAME_PERSON_THRESHOLD",
]
