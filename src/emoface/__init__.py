"""emoface: emotional talking heads from one portrait, with fine emotion control.

The top-level API is a few plain functions; models load on first use, never at import.

    >>> import emoface
    >>> out = emoface.express(image, emotion="happy", level=2.0, aus={12: 1.0})
"""
from __future__ import annotations

from .errors import EmofaceError, InputError, NoFaceError
from .vocab import AU_IDS, EMOTIONS

__version__ = "0.1.0"
__all__ = ["express", "analyze_face", "reenact", "EmofaceError", "InputError", "NoFaceError", "AU_IDS", "EMOTIONS"]


def express(image, emotion: str | None = "neutral", level: float = 0.0, aus=None, size=None,
            refine: bool = False, lines: bool = True):
    """Re-render a portrait with an emotion, level and single-AU edits.

    image:   RGB uint8 [H, W, 3] array, or a path to an image file.
    emotion: one of `EMOTIONS`, or None to keep the portrait's own expression (AU edits only).
    level:   >= 0; 0 relaxes the portrait's own expression to neutral, 1-3 are MEAD's levels,
             above 3 extrapolates linearly (LES eqs. 21-24).
    aus:     optional {AU: delta} edits on the 0-5 scale; keys are ints (both sides) or strings
             such as "12L" / "12R" (subject's left / right).
    size:    optional long-side size in px of the output (default: the source resolution).
    refine:  EmoHead hyperplane refinement of a single emotion (`control.hyperplanes`); off by
             default because bench/refine_ab.py measured no gain with the independent judge.
    lines:   shade the expression lines the new expression folds into the skin (forehead lines,
             frown lines, nose wrinkles, nasolabial folds, crow's feet); False warps only.
    Returns RGB uint8 [H', W', 3].
    """
    from .pipeline import express as _express

    return _express(image, emotion=emotion, level=level, aus=aus, size=size, refine=refine, lines=lines)


def analyze_face(image):
    """Find the largest face in an RGB uint8 [H, W, 3] image (or path) -> `types.FaceAnalysis`.

    (Named analyze_face because `emoface.analyze` is the analysis subpackage.)"""
    from .analyze.landmarker import analyze_image
    from .io.images import load_image

    return analyze_image(load_image(image))


def reenact(portrait, expression_from, output, **options):
    """Drive a portrait from other videos -> mp4 at `output`; returns `reenactment.Reenactment`.

    portrait: image path or RGB uint8 [H, W, 3]; expression_from: video whose expression (the
    changes from that person's calmest frames) the portrait takes. Options (keywords):
    pose_from / mouth_from (videos; default the expression video), audio (speech for the lips
    instead of mouth_from; sets the sound and length), emotion/level/aus (LES edits on top), fps,
    size, pose_scale, still, export_curves, progress: see `emoface.reenactment.reenact`.
    (The implementation lives in `emoface.reenactment`, so this name stays a function.)
    """
    from .reenactment import reenact as _reenact

    return _reenact(portrait, expression_from, output, **options)
