"""The LES emotion injector (LES-Talker eqs. 21-24), in AU units.

LES works on standardised AUs u = (AU - mu_D) / sigma_D (eq. 9). Standardisation is affine per
AU, so eqs. 21-24 are the same computed on raw intensities: we keep AU units here and
standardise only when exporting LES vectors.
"""
from __future__ import annotations

import functools
import logging
import math
import re

import numpy as np

from ..analyze.aus import CALIBRATED_AUS
from ..errors import InputError
from ..vocab import AU_IDS, AU_INDEX, AU_MAX, EMOTIONS
from .prototypes import prototype_table

log = logging.getLogger(__name__)

# How much of the portrait's own AU the level-0 relaxation may remove, per AU (1 = all), and at
# most how many units. Only AUs whose reading is calibrated against the rig are removed (an
# uncalibrated reading would move the face by an unknown amount). The brows' readings mix
# expression with face shape (naturally low or high brows read as AU4/AU1), and removing them
# fully moved brows by up to 7 mm and cost up to 0.4 dlib identity distance, so the brows are
# relaxed by half, at most 2 units. A closed eye cannot be opened by a warp (there is no
# eyeball to show), so blink is kept. The squint, cheek, upper-lip and chin readings (AU6, 7,
# 10, 17) are not calibrated, but a smile held in the eyes and upper lip (Lei Jun's portrait)
# otherwise stays "happy" at level 0, so they are relaxed by half, at most 2 units, too: this
# moved fer's top-1 at level 3 from 17% to 23% of pairs (bench/express_targets.py) with the
# level-0 identity distances unchanged (<= 0.26).
RELAX_FRACTION: dict[int, float] = {au: (1.0 if au in CALIBRATED_AUS else 0.0) for au in AU_IDS} | {
    1: 0.5, 4: 0.5, 45: 0.0, 6: 0.5, 7: 0.5, 10: 0.5, 17: 0.5}
RELAX_MAX: dict[int, float] = {au: AU_MAX for au in AU_IDS} | {1: 2.0, 4: 2.0, 6: 2.0, 7: 2.0, 10: 2.0, 17: 2.0}

# EmoHead hyperplane refinement (control.hyperplanes) of single-emotion targets.
REFINE_DEFAULT = False

# Final intensities are kept within this band so extrapolated levels stay a face.
AU_LIMIT = 1.6 * AU_MAX


@functools.lru_cache(maxsize=1)
def _table() -> np.ndarray:
    return prototype_table()


def check_emotion(emotion: str) -> int:
    """Index of `emotion` in EMOTIONS, or InputError listing the valid names."""
    try:
        return EMOTIONS.index(emotion)
    except ValueError:
        raise InputError(f"unknown emotion '{emotion}'; choose one of: {', '.join(EMOTIONS)}") from None


def emotion_aus(emotion: str, level: float) -> np.ndarray:
    """uf(emotion, level) -> [17, 2] AU intensities (eqs. 21-22).

    Levels between anchors interpolate linearly (level 0 = neutral); above 3 the line through
    levels 2 and 3 is extended (LES "hyperdomain" levels).
    Note: eq. 22 as printed, (uf_i - uf_j)(level - j) + uf_j, gives 2 uf_j - uf_i at level = i;
    the intended line through the two anchors is uf_i + (uf_j - uf_i)(level - i), used here.
    """
    if not (isinstance(level, (int, float)) and math.isfinite(level)) or level < 0:
        raise InputError(f"level must be a number >= 0, got {level!r}")
    anchors = _table()[check_emotion(emotion)]  # [4, 17, 2]
    i = min(math.floor(level), 2)  # eq. 21, with j = i + 1 continuing past 3
    j = i + 1
    return anchors[i] + (anchors[j] - anchors[i]) * (level - i)  # eq. 22 (corrected)


def injection(emotion: str, level: float) -> np.ndarray:
    """u_inj = uf(emotion, level) - uf(neutral, 0)  (eq. 23) -> [17, 2]."""
    return emotion_aus(emotion, level) - _table()[EMOTIONS.index("neutral"), 0]


def parse_mixture(spec: str, level: float) -> list[tuple[str, float]]:
    """An emotion spec -> [(emotion, level), ...].

    "happy" -> [("happy", level)]; "happy@1.5+surprised@1" -> [("happy", 1.5), ("surprised", 1.0)]
    (a part without @ takes `level`). Raises InputError naming an unknown emotion or bad level."""
    parts = []
    for part in spec.split("+"):
        name, at, level_text = part.strip().lower().partition("@")
        check_emotion(name)
        try:
            part_level = float(level_text) if at else float(level)
        except ValueError:
            raise InputError(f"bad level '{level_text}' in emotion '{spec}' (use e.g. happy@1.5)") from None
        if not (math.isfinite(part_level) and part_level >= 0):
            raise InputError(f"level must be >= 0 in emotion '{spec}'")
        parts.append((name, part_level))
    return parts


def mixture_injection(spec: str, level: float) -> np.ndarray:
    """Sum of the parts' injections (eq. 23 per part; LES is linear) -> [17, 2]."""
    return parts_injection(parse_mixture(spec, level))


def parts_injection(parts: list[tuple[str, float]]) -> np.ndarray:
    """Sum of the injections of parsed parts [(emotion, level), ...] (`parse_mixture`) -> [17, 2]."""
    return sum(injection(name, part_level) for name, part_level in parts)


_AU_KEY = re.compile(r"^\s*(\d+)\s*([LRlr]?)\s*$")


def parse_au_edits(aus) -> np.ndarray:
    """{12: 1.0, "4": -1.5, "12L": 2} -> [17, 2] per-side AU bias (L = subject's left)."""
    bias = np.zeros((len(AU_IDS), 2), np.float32)
    for key, value in (aus or {}).items():
        match = _AU_KEY.match(str(key))
        au = int(match.group(1)) if match else None
        if au not in AU_INDEX:
            raise InputError(
                f"unknown Action Unit '{key}'; choose from {', '.join(map(str, AU_IDS))} "
                "(optionally with L or R, e.g. 12L)")
        try:
            amount = float(value)
        except (TypeError, ValueError):
            raise InputError(f"AU {key}: '{value}' is not a number") from None
        if not math.isfinite(amount):
            raise InputError(f"AU {key}: value must be finite")
        side = match.group(2).upper()
        cols = [0] if side == "L" else [1] if side == "R" else [0, 1]
        bias[AU_INDEX[au], cols] += amount
    return bias


def target_aus(source_aus: np.ndarray, emotion: str | None, level: float, aus=None,
               refine: bool = REFINE_DEFAULT) -> np.ndarray:
    """The AU intensities the output should show -> [17, 2].

    source_aus: [17, 2] the portrait's own reading. With an emotion, the portrait is first
    relaxed to neutral (its own AUs removed, up to RELAX_FRACTION), then the emotion is injected
    (eq. 24: u' = u + u_inj); with emotion=None it keeps its own expression. `emotion` may be a
    mixture such as "happy@1.5+surprised@1" (the injections add). With `refine`, a single
    emotion's expression is then refined along its EmoHead hyperplane (`control.hyperplanes`).
    Per-AU edits are added last.
    """
    parts = [] if emotion is None else parse_mixture(emotion, level)
    if emotion is None:
        base = source_aus
    else:
        fraction = np.array([RELAX_FRACTION[au] for au in AU_IDS], np.float32)[:, None]
        most = np.array([RELAX_MAX[au] for au in AU_IDS], np.float32)[:, None]
        base = source_aus - np.minimum(source_aus * fraction, most) + parts_injection(parts)
        if refine and len(parts) == 1:
            from .hyperplanes import refine as refine_along_hyperplane

            base = refine_along_hyperplane(base, *parts[0])
    edits = parse_au_edits(aus)
    target = base + edits
    over = np.abs(target).max(1) > AU_LIMIT
    if over.any():
        # Say so only for AUs the request itself pushes on: an --au edit of that AU, or a level
        # beyond 3 that injects it. A strong face at level <= 3 is capped without a word, and an
        # edit of AU5 does not report the AU2 that the portrait's own raised brows cap.
        asked = np.abs(edits).max(1) > 0
        beyond = [(name, lv) for name, lv in parts if lv > 3.0]
        if beyond:
            asked |= np.abs(parts_injection(beyond)).max(1) > 0
        if (over & asked).any():
            _warn_capped(tuple(AU_IDS[k] for k in np.flatnonzero(over & asked)))
    return np.clip(target, -AU_LIMIT, AU_LIMIT)


@functools.lru_cache(maxsize=64)
def _warn_capped(aus: tuple[int, ...]) -> None:
    """Say once per set of AUs that the asked-for intensity was capped at AU_LIMIT."""
    names = ", ".join(f"AU{au}" for au in aus)
    log.warning("%s capped at %g (%g x the strongest level, %g): a higher --level or --au "
                "does not change the face further", names, AU_LIMIT, AU_LIMIT / AU_MAX, AU_MAX)
