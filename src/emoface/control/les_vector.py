"""The 41-dimensional LES vector w = u ⊕ v of LES-Talker §3.2 (eqs. 2-14), per frame.

    u  (e1-e17,  action subspace, eqs. 3, 6, 9):  u_i = (AU_i - mu_D,i) / sigma_D,i
    v  (e18-e41, isolation subspace, eqs. 4, 5, 7, 13, 14):
        e17+i = |AU_i| / sigma_emo,i           (i = 1..17; Opt_2, eq. 14)
        od    = sqrt(sum_{i=18..34} e_i^2)     (eq. 13)
        e35..e41 = 0 except e_(34+k) = od      (eq. 5; k = the emotion's index among the 7
                                                non-neutral emotions, `EMOTION_SLOTS` order;
                                                all zero for neutral)

AU_i are on the 0-5 intensity scale, mean of the subject's two sides, in `vocab.AU_IDS` order.

The statistics. LES-Talker takes mu_D, sigma_D (per AU, over the whole data set) and sigma_emo
(per AU, over one emotion's frames) from OpenFace readings of MEAD, which we do not have. Our
"data set" is the one our emotion injector is built on: its 22 anchor vectors uf (eqs. 10-11;
`prototypes.prototype_table`): neutral at level 0 and the 7 other emotions at MEAD's levels 1,
2, 3 (the paper's "twenty-two feature vectors"), each counted once. So:

    mu_D, sigma_D  = mean, population std of each AU over the 22 anchors
    sigma_emo      = population std of each AU over that emotion's anchors (levels 1-3; neutral:
                     its one anchor)

An AU that an emotion never uses has sigma_emo = 0 (and neutral has no spread at all): such an
AU gets sigma_emo = SIGMA_EMO_FLOOR = 0.5 AU (half a FACS intensity grade), so an AU edit or the
portrait's own expression still shows in v. An AU that no emotion uses (AU23, the lip
tightener: the judge read the open-mouthed anger better without it) has no spread over the
anchors: its sigma_D is SIGMA_D_FLOOR = 0.5 AU, so its u is its reading in half grades rather
than a division by zero. Because our anchors are one profile scaled by level
(0.4, 0.7, 1.0 of the level-3 grade), an AU that takes part in an emotion gets
e = level_fraction / 0.245 whatever its grade: 1.63 at level 1, 2.86 at level 2, 4.08 at
level 3 (AUs that join only at level 2, happy's AU25, differ); this is the "unified tendency"
Opt_2 is for, and od grows linearly with level.

Frames between emotions (timeline transitions, mixtures, levels below 1): the paper defines v
for one emotion. We use LES's own linearity (eq. 8): v = sum_k w_k v_k, where v_k is v computed
with emotion k's sigma and slot, and w_k the share of emotion k in the frame's levels, neutral
taking the rest below level 1 (`emotion_weights`). For one emotion at level >= 1 (MEAD's levels)
this is exactly eqs. 5, 13, 14.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..vocab import AU_IDS, EMOTIONS
from .prototypes import prototype_table

LES_DIM = 41
EMOTION_SLOTS: tuple[str, ...] = tuple(e for e in EMOTIONS if e != "neutral")  # e35..e41
SIGMA_EMO_FLOOR = 0.5   # AU units
SIGMA_D_FLOOR = 0.5     # AU units
NEUTRAL_BELOW = 0.05    # a frame whose strongest emotion level is below this is labelled neutral
FULL_LEVEL = 1.0        # from this total level on, a frame is all emotion (no neutral share)


@dataclass(frozen=True)
class LesStatistics:
    """mu_d, sigma_d: [17] AU mean and std over the data set (eq. 9); sigma_emo: [8, 17] AU std
    per emotion (`vocab.EMOTIONS` rows, eq. 14), floored as in the module docstring. AU units."""

    mu_d: np.ndarray
    sigma_d: np.ndarray
    sigma_emo: np.ndarray


@functools.lru_cache(maxsize=1)
def les_statistics() -> LesStatistics:
    """The statistics of the 22 injector anchors (see the module docstring)."""
    table = prototype_table().mean(-1)  # [8 emotions, 4 levels, 17] side mean
    neutral = EMOTIONS.index("neutral")
    anchors = [table[neutral, 0]] + [table[e, level] for e in range(len(EMOTIONS)) if e != neutral
                                     for level in (1, 2, 3)]
    anchors = np.stack(anchors)  # [22, 17]
    sigma_emo = np.stack([table[e, 1:].std(0) if e != neutral else np.zeros(len(AU_IDS))
                          for e in range(len(EMOTIONS))]).astype(np.float64)
    sigma_emo[sigma_emo < 1e-6] = SIGMA_EMO_FLOOR  # AUs the emotion never uses
    sigma_d = anchors.std(0).astype(np.float64)
    sigma_d[sigma_d < 1e-6] = SIGMA_D_FLOOR  # an AU no emotion uses
    return LesStatistics(anchors.mean(0).astype(np.float64), sigma_d, sigma_emo)


def side_mean(aus: np.ndarray) -> np.ndarray:
    """[..., 17, 2] per-side or [..., 17] AUs -> [..., 17] (mean of the subject's two sides)."""
    aus = np.asarray(aus, np.float64)
    return aus.mean(-1) if aus.shape[-1] == 2 and aus.ndim >= 2 and aus.shape[-2] == len(AU_IDS) else aus


def action_vector(aus: np.ndarray) -> np.ndarray:
    """u = Opt_1(AU) (eq. 9): [T, 17] or [T, 17, 2] AU intensities -> [T, 17] standardised."""
    stats = les_statistics()
    return (side_mean(aus) - stats.mu_d) / stats.sigma_d


def isolation_vector(aus: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """v (eqs. 4, 5, 13, 14): AUs [T, 17] (or [T, 17, 2]) and emotion weights [T, 8]
    (`EMOTIONS` order, rows summing to 1) -> [T, 24]: 17 Opt_2 values, then 7 slots holding od."""
    stats = les_statistics()
    magnitude = np.abs(side_mean(aus))                          # [T, 17]
    weights = np.asarray(weights, np.float64)
    v = np.zeros((len(magnitude), 24))
    for e, emotion in enumerate(EMOTIONS):
        w = weights[:, e]
        if not np.any(w):
            continue
        opt2 = magnitude / stats.sigma_emo[e]                   # eq. 14
        od = np.sqrt((opt2 ** 2).sum(1))                        # eq. 13
        v[:, :17] += w[:, None] * opt2
        if emotion != "neutral":
            v[:, 17 + EMOTION_SLOTS.index(emotion)] += w * od   # eq. 5
    return v


def les_vectors(aus: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """w = u ⊕ v (eqs. 2, 6, 7): AUs [T, 17] or [T, 17, 2], weights [T, 8] -> [T, 41]."""
    return np.concatenate([action_vector(aus), isolation_vector(aus, weights)], axis=1)


def key_levels(emotion: str | None, level: float) -> np.ndarray:
    """One timeline key -> [8] level of each emotion (`EMOTIONS` order): "happy" at 2 ->
    happy 2; "happy@1.5+surprised@1" -> happy 1.5, surprised 1; neutral or None -> all 0."""
    from .les import parse_mixture

    levels = np.zeros(len(EMOTIONS))
    if emotion is not None:
        for name, part_level in parse_mixture(emotion, level):
            if name != "neutral":
                levels[EMOTIONS.index(name)] += part_level
    return levels


def frame_levels(keys, n_frames: int, fps: float, transition_s: float) -> np.ndarray:
    """Timeline keys ([EmotionKey]) -> [T, 8] each emotion's level per frame, eased between keys
    exactly as the face is (`timeline.timeline_aus`)."""
    from .timeline import timeline_aus

    return timeline_aus(list(keys), n_frames, fps, key_levels, transition_s).astype(np.float64)


def emotion_weights(levels: np.ndarray) -> np.ndarray:
    """[T, 8] per-emotion levels -> [T, 8] shares w summing to 1 (`EMOTIONS` order).

    The emotions share the frame by level; below a total level of FULL_LEVEL (MEAD's weakest
    anchor) the rest is neutral, w_neutral = 1 - total / FULL_LEVEL, so v grows continuously
    out of neutral instead of jumping into an emotion's od slot at the first hint of it."""
    levels = np.clip(np.asarray(levels, np.float64), 0.0, None)
    neutral = EMOTIONS.index("neutral")
    levels[:, neutral] = 0.0
    total = levels.sum(1, keepdims=True)
    weights = levels / np.maximum(total, FULL_LEVEL)
    weights[:, neutral] = 1.0 - weights.sum(1)
    return weights


def frame_labels(levels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """[T, 8] per-emotion levels -> (the strongest emotion's name per frame, its level [T])."""
    levels = np.asarray(levels, np.float64)
    strongest = levels.argmax(1)
    top = levels[np.arange(len(levels)), strongest]
    names = [EMOTIONS[k] if lv >= NEUTRAL_BELOW else "neutral" for k, lv in zip(strongest, top)]
    return names, np.where(top >= NEUTRAL_BELOW, top, 0.0)


def prototype_vector(emotion: str, level: float) -> np.ndarray:
    """The LES vector [41] of the injector's pure emotion at `level` on a relaxed face
    (AUs = uf(emotion, level), eq. 22)."""
    from .les import emotion_aus

    aus = emotion_aus(emotion, level)[None]                       # [1, 17, 2]
    return les_vectors(aus, emotion_weights(key_levels(emotion, level)[None]))[0]


def column_names() -> list[str]:
    """The 41 LES column names in the paper's order e1..e41."""
    return ([f"u_AU{au}" for au in AU_IDS] + [f"v_AU{au}" for au in AU_IDS]
            + [f"v_od_{e}" for e in EMOTION_SLOTS])
