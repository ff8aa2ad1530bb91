"""emoface: emotional talking heads from one portrait, with fine emotion control.

The top-level API is a few plain functions; models load on first use, never at import.

    >>> import emoface
    >>> out = emoface.express(image, emotion="happy", level=2.0, aus={12: 1.0})
"""
from __future__ import annotations

from .errors import EmofaceError, InputError, NoFaceError
from .vocab import AU_IDS, EMOTIONS

__version__ = "0.1.0"
__all__ = ["express", "analyze_face", "EmofaceError", "InputError", "NoFaceError", "AU_IDS", "EMOTIONS"]


def express(image, emotion: str | None = "neutral", level: float = 0.0, aus=None, size=None):
    """Re-render a portrait with an emotion, level and single-AU edits.

    image:   RGB uint8 [H, W, 3] array, or a path to an image file.
    emotion: one of `EMOTIONS`, or None to keep the portrait's own expression (AU edits only).
    level:   >= 0; 0 relaxes the portrait's own expression to neutral, 1-3 are MEAD's levels,
             above 3 extrapolates linearly (LES eqs. 21-24).
    aus:     optional {AU: delta} edits on the 0-5 scale; keys are ints (both sides) or strings
             such as "12L" / "12R" (subject's left / right).
    size:    optional long-side size in px of the output (default: the source resolution).
    Returns RGB uint8 [H', W', 3].
    """
    from .pipeline import express as _express

    return _express(image, emotion=emotion, level=level, aus=aus, size=size)


def analyze_face(image):
    """Find the largest face in an RGB uint8 [H, W, 3] image (or path) -> `types.FaceAnalysis`.

    (Named analyze_face because `emoface.analyze` is the analysis subpackage.)"""
    from .analyze.landmarker import analyze_image
    from .io.images import load_image

    return analyze_image(load_image(image))
