"""Phonemes -> mouth-shape targets (visemes), with the blending weights coarticulation needs.

The shapes follow Rhubarb Lip Sync's mouth set (A-H, X), each phone listed beside its shape:

    X  rest / silence             SIL
    A  closed lips (bilabials)    P B M
    B  slightly open, teeth       K G NG T D N S Z TH DH HH Y L (and CH JH SH ZH, rounded: E-ish)
    C  open (mid vowels)          EH AH AE EY ER IH (ER, IH less open)
    D  wide open                  AA AO AY AW
    E  rounded, slightly open     OW OY UH ER R SH ZH CH JH
    F  puckered                   UW W
    G  lower lip under the teeth  F V
    H  tongue up (l), open        L

Values are mouth controls in [0, 1] (`vocab.MOUTH_CONTROLS`: jaw_open, lip_funnel, lip_pucker,
lip_press, lip_stretch, lower_lip_tuck). jaw_open 1 is a 12 degree jaw drop (~1.8 cm lip gap); a
conversational open vowel opens ~0.8-1 cm, hence AA ~0.55.

Dominance (Cohen & Massaro 1993): how strongly a phone pulls the mouth towards its target
against its neighbours. Labiodentals and rounding dominate; bilabials only moderately, because
the lips, not the jaw, close for them (the jaw stays half-open around a quick "b"); their full
closure is enforced on the contact frames instead (`coarticulation`).
alveolars and velars barely constrain the lips (they take their neighbours' shape). Rounding
spreads further in time than jaw opening (anticipatory lip rounding), so lip_funnel and
lip_pucker get a wider time constant (see `coarticulation`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..vocab import MOUTH_CONTROLS
from .phonemes import ARPABET

BILABIALS = frozenset({"P", "B", "M"})
LABIODENTALS = frozenset({"F", "V"})
# diphthongs glide from the first target to the second over their duration
DIPHTHONGS: dict[str, tuple[str, str]] = {
    "AY": ("AA", "IY"), "AW": ("AA", "UW"), "EY": ("EH", "IY"), "OW": ("AO", "UW"), "OY": ("AO", "IY"),
}


@dataclass(frozen=True)
class Viseme:
    shape: str                  # Rhubarb letter
    target: tuple[float, ...]   # [6] mouth controls
    dominance: float            # 0..1


def _v(shape, jaw=0.0, funnel=0.0, pucker=0.0, press=0.0, stretch=0.0, tuck=0.0, dominance=0.5):
    return Viseme(shape, (jaw, funnel, pucker, press, stretch, tuck), dominance)


VISEMES: dict[str, Viseme] = {
    "SIL": _v("X", dominance=0.35),
    # closures
    "P": _v("A", press=0.55, dominance=0.5),
    "B": _v("A", press=0.45, dominance=0.5),
    "M": _v("A", press=0.35, dominance=0.5),
    # labiodentals
    "F": _v("G", jaw=0.06, tuck=0.9, dominance=0.95),
    "V": _v("G", jaw=0.06, tuck=0.8, dominance=0.9),
    # rounded consonants
    "W": _v("F", jaw=0.05, pucker=0.85, funnel=0.2, dominance=0.85),
    "R": _v("E", jaw=0.12, pucker=0.35, funnel=0.25, dominance=0.5),
    "SH": _v("E", jaw=0.08, funnel=0.6, pucker=0.25, dominance=0.7),
    "ZH": _v("E", jaw=0.08, funnel=0.55, pucker=0.2, dominance=0.65),
    "CH": _v("E", jaw=0.08, funnel=0.55, pucker=0.2, dominance=0.7),
    "JH": _v("E", jaw=0.08, funnel=0.5, pucker=0.2, dominance=0.65),
    # teeth close together, lips follow the neighbours
    "S": _v("B", jaw=0.04, stretch=0.25, dominance=0.6),
    "Z": _v("B", jaw=0.04, stretch=0.2, dominance=0.55),
    "TH": _v("B", jaw=0.12, dominance=0.45),
    "DH": _v("B", jaw=0.10, dominance=0.3),
    "T": _v("B", jaw=0.10, dominance=0.25),
    "D": _v("B", jaw=0.10, dominance=0.2),
    "N": _v("B", jaw=0.10, dominance=0.2),
    "L": _v("H", jaw=0.18, dominance=0.2),
    "K": _v("B", jaw=0.16, dominance=0.15),
    "G": _v("B", jaw=0.16, dominance=0.15),
    "NG": _v("B", jaw=0.14, dominance=0.15),
    "HH": _v("C", jaw=0.25, dominance=0.1),
    "Y": _v("B", jaw=0.08, stretch=0.3, dominance=0.4),
    # vowels
    "AA": _v("D", jaw=0.58, dominance=0.6),
    "AO": _v("D", jaw=0.5, pucker=0.2, funnel=0.2, dominance=0.6),
    "AE": _v("C", jaw=0.5, stretch=0.25, dominance=0.6),
    "AH": _v("C", jaw=0.40, dominance=0.5),
    "EH": _v("C", jaw=0.38, stretch=0.15, dominance=0.55),
    "ER": _v("E", jaw=0.22, pucker=0.3, funnel=0.3, dominance=0.5),
    "IH": _v("C", jaw=0.25, stretch=0.15, dominance=0.45),
    "IY": _v("B", jaw=0.14, stretch=0.4, dominance=0.55),
    "UH": _v("E", jaw=0.22, pucker=0.4, funnel=0.2, dominance=0.5),
    "UW": _v("F", jaw=0.12, pucker=0.8, funnel=0.25, dominance=0.8),
    # diphthongs as a whole (their parts are used when they are split)
    "AY": _v("D", jaw=0.5, dominance=0.6),
    "AW": _v("D", jaw=0.5, pucker=0.2, dominance=0.6),
    "EY": _v("C", jaw=0.33, stretch=0.2, dominance=0.55),
    "OW": _v("E", jaw=0.35, pucker=0.5, funnel=0.3, dominance=0.6),
    "OY": _v("E", jaw=0.4, pucker=0.4, funnel=0.2, dominance=0.6),
}
assert set(VISEMES) == set(ARPABET), set(ARPABET) ^ set(VISEMES)
assert all(len(v.target) == len(MOUTH_CONTROLS) for v in VISEMES.values())


def viseme_targets(phones: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """N phones -> (targets [N, 6] float32 mouth controls, dominance [N] float32)."""
    targets = np.array([VISEMES[p].target for p in phones], np.float32).reshape(len(phones), len(MOUTH_CONTROLS))
    dominance = np.array([VISEMES[p].dominance for p in phones], np.float32)
    return targets, dominance
