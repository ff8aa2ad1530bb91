"""Timed phonemes from pocketsphinx: forced alignment of a transcript, or its phone loop.

Forced alignment (RTF ~0.03) needs every word in the dictionary; words CMUdict lacks get
pronunciations from espeak-ng (`tts.pronounce`, a child process) when the `tts` extra is there,
and are otherwise left out of the text (the neighbours then absorb their time). The phone loop
(allphone search with the en-us phone language model) needs no text and works on any language,
less precisely.

pocketsphinx reports times in 10 ms frames. CMUdict here has no stress marks, so a word's
longest vowel is taken as its stressed one (stressed vowels are the longest in English).
"""
from __future__ import annotations

import functools
import logging
import re
import threading

import numpy as np

from ..io.audio import pcm16_bytes
from ..types import Audio, PhonemeTrack
from .phonemes import ARPABET, SILENCE, VOWELS

log = logging.getLogger(__name__)

FRAME_S = 0.01
# Alignment follows one fixed word sequence, so it can afford far wider beams than recognition
# (pocketsphinx's defaults 1e-48 / 7e-29 lose the only path on synthetic or noisy speech).
ALIGN_BEAM, ALIGN_WBEAM = 1e-80, 1e-60
ALIGN_RATE = 16000
_LOCK = threading.Lock()          # one decoder, not thread-safe
_WORD = re.compile(r"[a-z0-9']+")
NOISE_WORDS = {"<s>", "</s>", "<sil>", "[noise]", "(null)"}
_PHONE_WORD = "phone_"            # dictionary words standing for one phone (no transcript word has "_")


class AlignmentFailed(RuntimeError):
    """pocketsphinx found no path through the text (wrong transcript, other language, noise)."""


def _model_dir():
    from pocketsphinx import get_model_path

    return get_model_path()


@functools.lru_cache(maxsize=1)
def _align_decoder():
    import os

    from pocketsphinx import Decoder

    base = _model_dir()
    return Decoder(hmm=os.path.join(base, "en-us", "en-us"),
                   dict=os.path.join(base, "en-us", "cmudict-en-us.dict"),
                   lm=None, loglevel="FATAL", bestpath=False, samprate=ALIGN_RATE,
                   beam=ALIGN_BEAM, wbeam=ALIGN_WBEAM, pbeam=ALIGN_BEAM)


@functools.lru_cache(maxsize=1)
def _phone_decoder():
    import os

    from pocketsphinx import Decoder

    base = _model_dir()
    return Decoder(hmm=os.path.join(base, "en-us", "en-us"),
                   allphone=os.path.join(base, "en-us", "en-us-phone.lm.bin"),
                   loglevel="FATAL", bestpath=False, backtrace=False, samprate=ALIGN_RATE)


def normalise_words(text: str) -> list[str]:
    """Transcript -> lower-case dictionary tokens ("Wisconsin's coat." -> [wisconsin's, coat])."""
    text = text.lower().replace("’", "'").replace("-", " ")
    return [w.strip("'") for w in _WORD.findall(text) if w.strip("'")]


def _ensure_in_dictionary(decoder, words: list[str]) -> list[str]:
    """Add out-of-dictionary words via espeak-ng; return the words the decoder can align."""
    missing = sorted({w for w in words if decoder.lookup_word(w) is None})
    if missing:
        try:
            from .tts import pronounce

            found = pronounce(missing)
        except Exception as exc:  # noqa: BLE001 - an optional helper; any failure means "skip"
            log.info("no pronunciations for %s (%s); leaving them out of the alignment", missing, exc)
            found = {}
        entries = []
        for word in missing:
            phones = [re.sub(r"\d", "", p) for p in found.get(word, [])]
            phones = [p for p in phones if p in ARPABET and p != SILENCE]
            if phones:
                entries.append((word, " ".join(phones)))
        for i, (word, phones) in enumerate(entries):
            decoder.add_word(word, phones, update=(i == len(entries) - 1))
        log.debug("added %d of %d out-of-dictionary words", len(entries), len(missing))
    return [w for w in words if decoder.lookup_word(w) is not None]


def _decode(decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    try:
        decoder.end_utt()
    except RuntimeError as exc:
        raise AlignmentFailed("pocketsphinx found no alignment") from exc


def forced_align(audio: Audio, text: str, offset_s: float = 0.0) -> PhonemeTrack:
    """Align a transcript to 16 kHz audio -> PhonemeTrack (method "forced-alignment").

    Raises AlignmentFailed when no word can be aligned or pocketsphinx finds no path."""
    return forced_align_scored(audio, text, offset_s)[0]


def forced_align_scored(audio: Audio, text: str, offset_s: float = 0.0) -> tuple[PhonemeTrack, list]:
    """`forced_align`, also returning the alignment's word entries [(word, first 10 ms frame,
    frames, acoustic score)] (pocketsphinx scores each frame relative to its best-scoring model
    state, so 0 is a perfect fit and wrong words score far below; see `speech_fit`)."""
    if audio.sample_rate != ALIGN_RATE:
        raise ValueError(f"forced_align expects {ALIGN_RATE} Hz audio, got {audio.sample_rate}")
    with _LOCK:
        decoder = _align_decoder()
        words = _ensure_in_dictionary(decoder, normalise_words(text))
        if not words:
            raise AlignmentFailed("no alignable words in the transcript")
        alignment = _aligned(decoder, pcm16_bytes(audio.samples), words)
        phones, word_spans, entries = [], [], []
        for word in alignment:   # (the entries live as long as `alignment`: read them here)
            entries.append((word.name, word.start, word.duration, word.score))
            name = re.sub(r"\(\d+\)$", "", word.name)
            w_start = word.start * FRAME_S + offset_s
            w_end = (word.start + word.duration) * FRAME_S + offset_s
            if name.lower() not in NOISE_WORDS:
                word_spans.append((name, w_start, w_end))
            members = [(p.name, p.start * FRAME_S + offset_s, (p.start + p.duration) * FRAME_S + offset_s)
                       for p in word]
            phones.append(members)
    return _track(phones, "forced-alignment", tuple(word_spans), audio.duration_s + offset_s, offset_s), entries


def _aligned(decoder, pcm: bytes, words: list[str]):
    """pocketsphinx's Alignment of `words` to the audio (lock held): iterate it for the word
    entries (and each word for its phones) while it is alive."""
    try:
        decoder.set_align_text(" ".join(words))
    except RuntimeError as exc:
        raise AlignmentFailed(f"pocketsphinx refused the text: {exc}") from exc
    _decode(decoder, pcm)
    try:
        decoder.set_alignment()
    except RuntimeError as exc:
        raise AlignmentFailed("no complete word path through the audio") from exc
    _decode(decoder, pcm)
    alignment = decoder.get_alignment()
    if alignment is None:
        raise AlignmentFailed("pocketsphinx returned no alignment")
    return alignment


def speech_fit(entries: list, until_frame: int | None = None) -> tuple[float, int]:
    """Word entries [(word, first frame, frames, score)] -> (mean acoustic score per 10 ms frame
    of the words, i.e. not silence or noise, and how many frames they take), counting entries
    that start before `until_frame` (None: all)."""
    words = [(n, score) for name, start, n, score in entries
             if name.lower() not in NOISE_WORDS and (until_frame is None or start < until_frame)]
    frames = sum(n for n, _ in words)
    return (sum(score for _, score in words) / frames if frames else 0.0), frames


def phone_loop(audio: Audio, offset_s: float = 0.0) -> PhonemeTrack:
    """Free phone recognition (any language) -> PhonemeTrack (method "phone-loop")."""
    segs = _phone_segments(audio, offset_s)
    # each phone is its own "word" for stress purposes: a vowel louder/longer than its
    # neighbours is not known, so vowels longer than 120 ms count as stressed
    return _track([[s] for s in segs], "phone-loop", (), audio.duration_s + offset_s, offset_s)


def phone_loop_scores(audio: Audio) -> list:
    """What a good transcript would score: the phone loop's phones, aligned as if they were the
    words -> word entries like `forced_align_scored`'s, one per phone.
    Raises AlignmentFailed when the loop recognises nothing."""
    segs = _phone_segments(audio)
    phones = [p.upper() for p, _, _ in segs if p.upper() in ARPABET and p.upper() != SILENCE]
    if not phones:
        raise AlignmentFailed("the phone loop recognised no phone")
    with _LOCK:
        decoder = _align_decoder()
        for phone in sorted(set(phones)):
            if decoder.lookup_word(_PHONE_WORD + phone.lower()) is None:
                decoder.add_word(_PHONE_WORD + phone.lower(), phone, update=True)
        alignment = _aligned(decoder, pcm16_bytes(audio.samples), [_PHONE_WORD + p.lower() for p in phones])
        return [(w.name, w.start, w.duration, w.score) for w in alignment]


def _phone_segments(audio: Audio, offset_s: float = 0.0) -> list[tuple[str, float, float]]:
    """The phone loop -> [(phone, start s, end s)] as recognised (AlignmentFailed if none)."""
    if audio.sample_rate != ALIGN_RATE:
        raise ValueError(f"phone_loop expects {ALIGN_RATE} Hz audio, got {audio.sample_rate}")
    with _LOCK:
        decoder = _phone_decoder()
        _decode(decoder, pcm16_bytes(audio.samples))
        segs = [(s.word, s.start_frame * FRAME_S + offset_s, (s.end_frame + 1) * FRAME_S + offset_s)
                for s in decoder.seg()]
    if not segs:
        raise AlignmentFailed("the phone loop recognised nothing")
    return segs


def _track(groups: list[list[tuple[str, float, float]]], method: str,
           words: tuple[tuple[str, float, float], ...], end_s: float, start_s: float) -> PhonemeTrack:
    """Word-grouped (phone, start, end) lists -> a PhonemeTrack tiling [start_s, end_s)."""
    names, starts, ends, stress = [], [], [], []
    for group in groups:
        vowel_durs = [(e - s) if p in VOWELS else -1.0 for p, s, e in group]
        longest = int(np.argmax(vowel_durs)) if max(vowel_durs, default=-1.0) > 0 else -1
        for i, (p, s, e) in enumerate(group):
            p = p.upper()
            p = p if p in ARPABET else SILENCE  # +NSN+, +SPN+, ... noise models
            if p not in VOWELS:
                st = -1
            elif len(group) == 1:
                st = 1 if e - s >= 0.12 else 0
            else:
                st = 1 if i == longest else 0
            names.append(p)
            starts.append(s)
            ends.append(e)
            stress.append(st)
    return tile(names, starts, ends, stress, method, words, start_s, end_s)


def tile(names, starts, ends, stress, method: str, words=(), start_s: float = 0.0,
         end_s: float | None = None) -> PhonemeTrack:
    """Sorted (phone, start, end) lists -> PhonemeTrack whose intervals tile [start_s, end_s):
    gaps become SIL, overlaps are cut at the later phone's start, adjacent SILs merge."""
    order = np.argsort(np.asarray(starts, np.float64), kind="stable")
    out_p, out_s, out_e, out_st = [], [], [], []

    def push(p, s, e, st):
        if e - s <= 1e-6:
            return
        if out_p and p == SILENCE and out_p[-1] == SILENCE:
            out_e[-1] = e
            return
        out_p.append(p), out_s.append(s), out_e.append(e), out_st.append(st)

    cursor = start_s
    for i in order:
        s, e = max(float(starts[i]), cursor), float(ends[i])
        if s > cursor + 1e-6:
            push(SILENCE, cursor, s, -1)
        if end_s is not None:
            e = min(e, end_s)
        if e > s:
            push(names[i], s, e, int(stress[i]))
            cursor = e
    if end_s is not None and end_s > cursor + 1e-6:
        push(SILENCE, cursor, end_s, -1)
    return PhonemeTrack(tuple(out_p), np.asarray(out_s, np.float64), np.asarray(out_e, np.float64),
                        np.asarray(out_st, np.int8), method, tuple(words))
