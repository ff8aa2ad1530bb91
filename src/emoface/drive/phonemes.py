"""The phoneme inventory every drive path speaks: ARPABET as in CMUdict (no stress digits).

pocketsphinx's en-us model, CMUdict and the viseme table all use these 39 phones plus "SIL".
"""
from __future__ import annotations

VOWELS: tuple[str, ...] = (
    "AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW",
)
CONSONANTS: tuple[str, ...] = (
    "B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH",
    "T", "TH", "V", "W", "Y", "Z", "ZH",
)
SILENCE = "SIL"
ARPABET: tuple[str, ...] = VOWELS + CONSONANTS + (SILENCE,)


def split_stress(phone: str) -> tuple[str, int]:
    """"AH0" -> ("AH", 0); "T" -> ("T", -1). Raises ValueError for a phone not in ARPABET."""
    base, digit = (phone[:-1], int(phone[-1])) if phone[-1:].isdigit() else (phone, -1)
    base = base.upper()
    if base not in ARPABET:
        raise ValueError(f"not an ARPABET phone: {phone!r}")
    return base, digit
