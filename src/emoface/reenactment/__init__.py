"""Reenactment: a portrait driven by other videos (EDTalk's separate mouth, pose and expression
sources; LES-Talker's AU source video). `reenact` is the entry point (also `emoface.reenact`);
`readings` reads a tracked video, `retarget` turns its readings into the portrait's motion."""
from __future__ import annotations

from .run import Reenactment, reenact

__all__ = ["reenact", "Reenactment"]
