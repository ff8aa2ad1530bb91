"""eSpeak NG phoneme mnemonics (English voices) -> ARPABET, the phone set of `drive.phonemes`.

eSpeak writes its phonemes in its own ASCII mnemonics ("h@l'oU" = hello). A stress mark may
prefix a syllable's nucleus: "'" primary, "," secondary; "%" and "=" mark unstressed/diminished
syllables; vowels without a mark are unstressed. `split_mnemonic` separates mark and phoneme.

Mapping decisions (checked against pocketsphinx's cmudict-en-us.dict, which has no stress
digits: on 20,000 random entries, many of them names, espeak en-us + this table gives a phone
error rate of 10 % and 59 % of words exactly; the per-mnemonic confusions drove the choices):
- Vowels map to the nearest CMUdict vowel; en-us "0" (lot) and "A:" map to AA, "V" (strut) and
  "@" (schwa) to AH, "a"/"aa" to AE, "a#" (reduced a, as in "asperity") to AH, "I2"/"I#" (weak i)
  to IH, "i" (happy-tensing) to IY, "3:" (stressed) and "3" (unstressed) to ER.
- Diphthongs map to their ARPABET diphthong: oU->OW, aI->AY, eI->EY, aU->AW, OI->OY.
- R-coloured vowels, which CMUdict spells as vowel + R, map to two phones: A@->AA R, o@/O@->AO R,
  e@->EH R, U@->UH R, i@3->IH R, aI3->AY ER; "aI@" (science) is AY AH and "i@" (en-us "ia" in
  lithium) IY AH. In pronunciations an R right after R or ER is dropped: espeak writes the
  linking r of "filtering" (f'Ilt3r-IN) and "e@r" in "various", CMUdict has one R.
- Syllabic consonants map to AH + consonant, as CMUdict spells them ("button" B AH1 T AH0 N):
  n- -> AH N, l- and @L -> AH L, m- -> AH M. In timed tracks (synthesis) a syllabic n-/m-/l- is
  given to the consonant alone (`TIMED_OVERRIDES`): the audio has no vowel there, and the mouth
  shape is the consonant's. "@L" keeps AH L (espeak makes it a schwa followed by an l).
- Allophones collapse to their phoneme: t#/t2/? (flap, unreleased, glottal stop) -> T,
  l#/l/2 -> L, r-/r/ -> R, x (loch) -> K, and so on.
- ";" (a palatalisation/linking mark espeak puts between phonemes) maps to nothing.
- Pauses ("_", "_:", "_!", "_|", ... anything starting with "_") map to SIL.
- An unknown mnemonic is mapped by its first letter (`FIRST_LETTER`), logged at debug level;
  this never raises.
"""
from __future__ import annotations

import logging

from .phonemes import ARPABET, VOWELS

log = logging.getLogger(__name__)

STRESS_MARKS = {"'": 1, ",": 2, "%": 0, "=": 0}
SILENCE = "SIL"

# mnemonic -> ARPABET phones (one or two). Keys without stress marks.
ESPEAK_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # --- monophthong vowels
    "a": ("AE",), "aa": ("AE",), "a#": ("AH",), "a2": ("AH",), "A:": ("AA",), "A": ("AA",),
    "0": ("AA",), "0#": ("AA",), "O:": ("AO",), "O": ("AO",), "O2": ("AO",), "o": ("OW",),
    "E": ("EH",), "E2": ("EH",), "e": ("EH",), "I": ("IH",), "I2": ("IH",), "I#": ("IH",),
    "i": ("IY",), "i:": ("IY",), "u:": ("UW",), "u": ("UW",), "U": ("UH",),
    "V": ("AH",), "@": ("AH",), "@2": ("AH",), "@5": ("AH",), "@-": ("AH",),
    "3": ("ER",), "3:": ("ER",), "@r": ("ER",),
    # --- diphthongs
    "oU": ("OW",), "aI": ("AY",), "eI": ("EY",), "aU": ("AW",), "OI": ("OY",), "o:": ("OW",),
    "aI2": ("AY",), "aU#": ("AW",), "eI#": ("EY",), "Au": ("AW",), "aI#": ("AY",),
    "i@": ("IY", "AH"), "u@": ("UW", "AH"),
    # --- r-coloured vowels (CMUdict: vowel + R)
    "A@": ("AA", "R"), "o@": ("AO", "R"), "O@": ("AO", "R"), "e@": ("EH", "R"),
    "U@": ("UH", "R"), "i@3": ("IH", "R"), "aI3": ("AY", "ER"), "aU@": ("AW", "ER"),
    "aI@": ("AY", "AH"),  # "science": S AY1 AH0 N S
    # --- syllabic consonants (see module doc and TIMED_OVERRIDES)
    "n-": ("AH", "N"), "m-": ("AH", "M"), "l-": ("AH", "L"), "@L": ("AH", "L"),
    # --- consonants
    "b": ("B",), "d": ("D",), "f": ("F",), "g": ("G",), "h": ("HH",), "k": ("K",), "l": ("L",),
    "m": ("M",), "n": ("N",), "p": ("P",), "r": ("R",), "s": ("S",), "t": ("T",), "v": ("V",),
    "w": ("W",), "z": ("Z",), "j": ("Y",), "N": ("NG",), "S": ("SH",), "Z": ("ZH",),
    "T": ("TH",), "D": ("DH",), "tS": ("CH",), "dZ": ("JH",),
    "t#": ("T",), "t2": ("T",), "d#": ("D",), "?": ("T",), "x": ("K",), "C": ("HH",),
    "l#": ("L",), "l/2": ("L",), "l/": ("L",), "r-": ("R",), "r/": ("R",), "*": ("R",),
    "n#": ("N",), "W": ("W",), "hw": ("W",),
    # --- not phones
    ";": (),
}

# Overrides for timed tracks from synthesis: syllabic nasals/laterals are one segment of audio.
TIMED_OVERRIDES: dict[str, tuple[str, ...]] = {"n-": ("N",), "m-": ("M",), "l-": ("L",)}

# How a timed interval is shared when one mnemonic maps to several phones: the vowel of an
# r-coloured vowel or a diphthong + schwa takes 60 %; espeak's "@L" is mostly the l.
TIMED_SPLIT: dict[str, tuple[float, ...]] = {"@L": (0.4, 0.6), "n-": (0.3, 0.7), "m-": (0.3, 0.7),
                                             "l-": (0.3, 0.7)}


def split_weights(base: str, n_phones: int) -> tuple[float, ...]:
    """Fractions of a timed interval for the `n_phones` phones one mnemonic maps to (sum 1)."""
    weights = TIMED_SPLIT.get(base)
    if weights is not None and len(weights) == n_phones:
        return weights
    if n_phones == 2:
        return (0.6, 0.4)
    return (1.0 / n_phones,) * n_phones


# Fallback by first character for mnemonics this table does not know.
FIRST_LETTER: dict[str, str] = {
    "a": "AA", "A": "AA", "0": "AA", "e": "EH", "E": "EH", "i": "IY", "I": "IH", "o": "OW",
    "O": "AO", "u": "UW", "U": "UH", "V": "AH", "@": "AH", "3": "ER", "y": "UW", "Y": "UW",
    "b": "B", "c": "K", "C": "HH", "d": "D", "D": "DH", "f": "F", "g": "G", "G": "G", "h": "HH",
    "j": "Y", "J": "Y", "k": "K", "l": "L", "L": "L", "m": "M", "n": "N", "N": "NG", "p": "P",
    "q": "K", "r": "R", "R": "R", "s": "S", "S": "SH", "t": "T", "T": "TH", "v": "V", "w": "W",
    "W": "W", "x": "K", "X": "HH", "z": "Z", "Z": "ZH", "?": "T",
}

_VOWELS = frozenset(VOWELS)


def split_mnemonic(mnemonic: str) -> tuple[str, int | None]:
    """"'oU" -> ("oU", 1); ",aI" -> ("aI", 2); "%I" -> ("I", 0); "h" -> ("h", None)."""
    stress = None
    i = 0
    while i < len(mnemonic) and mnemonic[i] in STRESS_MARKS:
        stress = STRESS_MARKS[mnemonic[i]]
        i += 1
    return mnemonic[i:], stress


def is_pause(mnemonic: str) -> bool:
    """espeak pauses: "_", "_:", "_!", "_|", "_^_" ... (an empty mnemonic counts too)."""
    base = split_mnemonic(mnemonic)[0]
    return base == "" or base.startswith("_")


def to_arpabet(mnemonic: str, timed: bool = False) -> tuple[str, ...]:
    """ARPABET phones (no stress digits) for one espeak mnemonic; stress marks are ignored.

    Pauses give ("SIL",); ";" gives (); unknown mnemonics map by their first letter (logged).
    timed=True applies `TIMED_OVERRIDES` (syllabic consonants as the consonant alone)."""
    base, _ = split_mnemonic(mnemonic)
    if base == "" or base.startswith("_"):
        return (SILENCE,)
    if timed and base in TIMED_OVERRIDES:
        return TIMED_OVERRIDES[base]
    phones = ESPEAK_TO_ARPABET.get(base)
    if phones is not None:
        return phones
    # unknown: try without a trailing modifier (digits, '#', '/', ':'), then the first letter
    stripped = base.rstrip("0123456789#/:-")
    if stripped and stripped in ESPEAK_TO_ARPABET:
        phones = ESPEAK_TO_ARPABET[stripped]
    else:
        phone = FIRST_LETTER.get(base[0])
        phones = (phone,) if phone else ()
    log.debug("unknown espeak phoneme %r mapped to %s", mnemonic, " ".join(phones) or "nothing")
    return phones


def to_arpabet_stressed(mnemonics: list[str]) -> list[str]:
    """CMUdict-style pronunciation ("AH0", "EY1", "T") for a word's espeak mnemonics.

    A stress mark applies to the next vowel; vowels without one are 0. Pauses are dropped."""
    out: list[str] = []
    pending: int | None = None
    for m in mnemonics:
        base, stress = split_mnemonic(m)
        if stress is not None:
            pending = stress
        if base == "" or base.startswith("_"):
            continue
        for phone in to_arpabet(base):
            if phone in _VOWELS:
                out.append(f"{phone}{pending if pending is not None else 0}")
                pending = None
            elif phone in ARPABET:
                if phone == "R" and out and out[-1].rstrip("012") in ("R", "ER"):
                    continue  # linking r: CMUdict has one R
                out.append(phone)
    return out
