"""Local text-to-speech with exact phoneme timings, and grapheme-to-phoneme, from eSpeak NG.

    >>> audio, track = synthesize("Hello, my name is Bob.")   # Audio @ 22050 Hz, PhonemeTrack
    >>> pronounce(["emoface"])                                # {"emoface": ["IH0", "M", ...]}

libespeak-ng (from the optional `tts` extra, `espeakng-loader`) is GPL, so this process never
loads it: every call runs `python -m emoface.drive._espeak_worker` as a child process (argument
list, no shell), sends one JSON request on stdin and reads one JSON reply from stdout.

Timings come from espeak's own phoneme events (espeakEVENT_PHONEME, enabled with
espeakINITIALIZE_PHONEME_EVENTS, AUDIO_OUTPUT_SYNCHRONOUS). What was measured on the waveform
(espeakng-loader 0.2.4 = libespeak-ng 1.52, en-us, 80-450 wpm):
- Each event's `sample` is the output sample index at which the phoneme's synthesis starts;
  `audio_position` is the same in whole ms, truncated, so `sample` is used. There is no constant
  offset: every pause starts within 0-1 samples of where the signal falls to digital zero and
  ends within 0-1 samples of where it resumes; the first phone starts where the signal does
  (286 samples = 13 ms after the start for "Hello").
- A stop's closure (espeak's "prepause", 20-55 ms of digital silence before P/T/K/CH, and
  before B/D/G after some consonants; between vowels a B/D/G has its voice bar inside its own
  interval) is synthesised *before* the stop's event, so it sits at the end of the previous
  phone's interval and the stop's event marks the release. Given the audio,
  `events_to_track` hands that silence to the stop (lips close when the silence starts).
- A coda /l/ before a stop ("help", "built", "old") is folded into the vowel; its own interval
  is only the next stop's closure. It is moved to the vowel's tail (see `events_to_track`).
- Word events: a word-initial pause is emitted after the word event and before the word's first
  phoneme event (that gap becomes SIL); elsewhere a word event can fall on the previous word's
  last phoneme ("name is": the event for "is" comes at the /m/). So words are timed from the
  phones' text positions, not from the word events' samples.
- No pause is appended after the last phone (espeakENDPAUSE is not set): the audio ends with
  espeak's own few ms of "_" silence.
See `events_to_track` and `espeak_phonemes` for the mnemonic -> ARPABET decisions.
"""
from __future__ import annotations

import base64
import difflib
import functools
import importlib.util
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from ..errors import EmofaceError, InputError
from ..types import Audio, PhonemeTrack
from . import espeak_phonemes as ep
from .phonemes import VOWELS

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 5000
MAX_WORDS = 10000
RATE_WPM_RANGE = (80, 450)  # espeakRATE_MINIMUM .. espeakRATE_MAXIMUM
WORKER_MODULE = "emoface.drive._espeak_worker"
INSTALL_HINT = "text-to-speech needs the optional 'tts' extra: pip install 'emoface[tts]'"

# espeak_EVENT_TYPE values (speak_lib.h)
EVENT_WORD = 1
EVENT_PHONEME = 7

_VOWELS = frozenset(VOWELS)


# ----------------------------------------------------------------------------- worker plumbing
def _require_espeak() -> None:
    """Raise EmofaceError when espeakng-loader is missing (checked without importing it)."""
    if importlib.util.find_spec("espeakng_loader") is None:
        raise EmofaceError(INSTALL_HINT)


def _run_worker(request: dict, timeout_s: float) -> dict:
    """Run the espeak worker on one request and return its successful reply.

    Raises InputError for an unknown voice, and EmofaceError when the tts extra is missing or the
    worker times out, dies, reports an error or answers something that is not JSON (the message
    carries the end of its stderr)."""
    _require_espeak()
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding `emoface/`
    old_path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = package_root + (os.pathsep + old_path if old_path else "")
    cmd = [sys.executable, "-m", WORKER_MODULE]
    try:
        # cwd: `-m` puts the working directory first on sys.path; run where `emoface/` lives
        proc = subprocess.run(cmd, input=json.dumps(request).encode("utf-8"), capture_output=True,
                              timeout=timeout_s, env=env, cwd=package_root, check=False)
    except subprocess.TimeoutExpired as e:
        raise EmofaceError(f"the espeak worker did not answer within {timeout_s:.0f} s"
                           f"{_stderr_tail(e.stderr)}") from None
    except OSError as e:
        raise EmofaceError(f"could not start the espeak worker ({e})") from None
    if proc.returncode != 0:
        how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"exited with status {proc.returncode}")
        raise EmofaceError(f"the espeak worker {how}{_stderr_tail(proc.stderr)}")
    try:
        reply = json.loads(proc.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EmofaceError(f"the espeak worker gave an unreadable reply ({len(proc.stdout)} bytes)"
                           f"{_stderr_tail(proc.stderr)}") from None
    if not isinstance(reply, dict):
        raise EmofaceError("the espeak worker gave an unreadable reply (not a JSON object)")
    if proc.stderr:
        log.debug("espeak worker stderr: %s", proc.stderr.decode("utf-8", "replace").strip())
    if not reply.get("ok"):
        _raise_worker_error(reply, str(request.get("voice", "")))
    return reply


def _stderr_tail(stderr: bytes | None, n: int = 800) -> str:
    text = (stderr or b"").decode("utf-8", "replace").strip()
    return f": {text[-n:]}" if text else ""


def _raise_worker_error(reply: dict, voice: str) -> None:
    code, message = reply.get("error"), reply.get("message", "unknown error")
    if code == "unknown_voice":
        base, plus, variant = voice.partition("+")
        voices = [str(v) for v in reply.get("voices", [])]
        variants = [str(v) for v in reply.get("variants", [])]
        if plus and base.lower() in voices:  # the language is fine, the variant is not
            close = difflib.get_close_matches(variant, variants, n=5, cutoff=0.5)
            hint = f"; close matches: {', '.join(base + '+' + v for v in close)}" if close else ""
            raise InputError(f"unknown voice variant {variant!r} in {voice!r}{hint} "
                             f"(variants: {', '.join(variants[:12])}, ...)")
        close = difflib.get_close_matches(base.lower(), voices, n=5, cutoff=0.5)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise InputError(f"unknown voice {voice!r}{hint} (one of {len(voices)} language codes such as "
                         f"en-us, en-gb, de, fr, es, cmn; all of them: python -c \"from emoface.drive.tts "
                         f"import list_voices; print(*list_voices())\"; add '+variant' such as '+f3' "
                         f"for another speaker)")
    if code == "missing":
        raise EmofaceError(f"{INSTALL_HINT} ({message})")
    raise EmofaceError(f"espeak failed: {message}")


# ----------------------------------------------------------------------------- public API
@functools.lru_cache(maxsize=1)
def _voices_cached() -> tuple[str, ...]:
    return tuple(_run_worker({"op": "voices"}, timeout_s=30.0)["voices"])


def list_voices() -> list[str]:
    """espeak's language codes usable as `voice` ("en-us", "en-gb", "fr-fr", ...), sorted.

    A voice may carry a speaker variant after "+": "en-us+f3", "en-gb+m2", "en-us+whisper"."""
    return list(_voices_cached())


def _check_voice(voice: str) -> str:
    if not isinstance(voice, str) or not voice.strip():
        raise InputError(f"voice must be a non-empty string such as 'en-us', not {voice!r}")
    return voice.strip()


def synthesize(text: str, voice: str = "en-us", rate_wpm: int = 160) -> tuple[Audio, PhonemeTrack]:
    """Speak `text` with eSpeak NG; return the audio and its exact phoneme timings.

    text:     1 to `MAX_TEXT_CHARS` characters (plain text, not SSML).
    voice:    an espeak language code from `list_voices()`, optionally "+variant" ("en-us+f3").
    rate_wpm: speaking rate in words per minute, 80..450.
    Returns (Audio, PhonemeTrack):
      Audio: [N] float32 mono in [-1, 1] at espeak's native rate (22050 Hz), source=None.
      PhonemeTrack: method="tts"; ARPABET phones without stress digits tiling [0, duration)
        ("SIL" for pauses, leading and trailing silence included); stress 1/2/0 on vowels from
        espeak's stress marks, -1 on consonants and SIL; words from espeak's word events.
    Raises InputError (empty, unspeakable or too long text, unknown voice, bad rate) and EmofaceError
    (the tts extra is missing, the worker failed)."""
    if not isinstance(text, str):
        raise InputError(f"text must be a string, not {type(text).__name__}")
    text = text.replace("\0", " ")
    if not text.strip():
        raise InputError("text is empty: nothing to say")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"text is {len(text)} characters long; the limit is {MAX_TEXT_CHARS} "
                         f"(split it into several calls)")
    voice = _check_voice(voice)
    try:
        rate = int(rate_wpm)
    except (TypeError, ValueError):
        raise InputError(f"rate_wpm must be words per minute, not {rate_wpm!r}") from None
    if not RATE_WPM_RANGE[0] <= rate <= RATE_WPM_RANGE[1]:
        raise InputError(f"rate_wpm={rate} is outside espeak's range {RATE_WPM_RANGE[0]}.."
                         f"{RATE_WPM_RANGE[1]} words per minute")
    reply = _run_worker({"op": "synth", "text": text, "voice": voice, "rate_wpm": rate},
                        timeout_s=20.0 + 0.02 * len(text))
    pcm = np.frombuffer(base64.b64decode(reply["pcm16_b64"]), dtype="<i2")
    samples = (pcm.astype(np.float32) / 32768.0)
    sample_rate = int(reply["sample_rate"])
    audio = Audio(samples=samples, sample_rate=sample_rate, source=None)
    track = events_to_track(reply["events"], len(samples), sample_rate, text, samples=samples)
    if all(phone == "SIL" for phone in track.phones):
        shown = text.strip()
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise InputError(f"text has no words espeak can speak ('{shown}'): nothing to say")
    return audio, track


def pronounce(words: list[str], voice: str = "en-us", *, stress: bool = True
              ) -> dict[str, list[str]]:
    """CMUdict-style ARPABET pronunciations from espeak's rules and dictionary, one worker call.

    words: the words to pronounce (as given to e.g. pocketsphinx); they are lower-cased before
           espeak sees them (espeak spells out ALL-CAPS words letter by letter). A "word" with
           spaces or hyphens gives the concatenated pronunciation of its parts.
    Returns {word: ["HH", "AH0", "L", "OW1"]}: vowels carry stress digits 0/1/2 like CMUdict,
    consonants none; stress=False leaves the digits out (["HH", "AH", "L", "OW"]).
    A word espeak gives no phonemes for (punctuation only) maps to [].
    pocketsphinx's en-us model wants phones without digits:
    `decoder.add_word(word, " ".join(pronounce([word], stress=False)[word]))`."""
    if isinstance(words, str):
        raise InputError("pronounce() takes a list of words, not a single string")
    words = list(words)
    for w in words:
        if not isinstance(w, str):
            raise InputError(f"words must be strings, not {type(w).__name__}: {w!r}")
    if len(words) > MAX_WORDS:
        raise InputError(f"{len(words)} words; pronounce() takes at most {MAX_WORDS} per call")
    voice = _check_voice(voice)
    unique = list(dict.fromkeys(words))
    if not unique:
        return {}
    queries = [w.replace("\0", " ").strip().lower()[:200] for w in unique]
    reply = _run_worker({"op": "phonemes", "words": queries, "voice": voice},
                        timeout_s=20.0 + 0.01 * len(queries))
    out = {w: ep.to_arpabet_stressed(m) for w, m in zip(unique, reply["phonemes"])}
    if not stress:
        out = {w: [p.rstrip("012") for p in pron] for w, pron in out.items()}
    return out


# ----------------------------------------------------------------------------- events -> track
def events_to_track(events: list, n_samples: int, sample_rate: int, text: str = "",
                    samples: np.ndarray | None = None) -> PhonemeTrack:
    """Build a PhonemeTrack from the worker's espeak events (pure function, no espeak needed).

    events:  [type, sample, text_position, length, value] in emission order (see the worker);
             phoneme events (7) start a phoneme at `sample`; word events (1) start a word.
    Rules: a phoneme lasts until the next phoneme event (the last one until `n_samples`); the
    samples before the first phoneme event and any gap between a word event and that word's
    first phoneme event (espeak's pre-word pause) become SIL; a mnemonic that maps to two
    ARPABET phones splits its interval (`espeak_phonemes.TIMED_SPLIT`); one that maps to
    nothing (";") is absorbed by the phone before it; neighbouring SILs merge; zero-length
    intervals are dropped. The result tiles [0, n_samples / sample_rate) exactly.

    samples: the [n_samples] audio, optional. espeak emits a stop's closure (its "prepause",
    digital silence) *before* the stop's phoneme event, so the closure sits at the end of the
    previous phone's interval; given the audio, that silent run is handed to the stop (a /p/
    closes the lips when the silence starts, not at the burst). When the run covers the whole
    previous phone (espeak folds a coda /l/ into the vowel before it: "help" = EH, then 42 ms of
    silence labelled L, then the P burst), that phone is moved to the tail of the phone before
    it, keeping its duration (at most half of that phone). Closures after SIL stay SIL."""
    word_events = [(int(e[1]), int(e[2]), int(e[3])) for e in events if int(e[0]) == EVENT_WORD]
    # boundaries: (start_sample, mnemonic or None for SIL, text_position), in emission order
    marks: list[tuple[int, str | None, int]] = []
    last_phone_sample: int | None = None
    pending_word: tuple[int, int] | None = None  # a word event not yet followed by a phoneme
    for e in events:
        kind, sample, tp = int(e[0]), min(max(int(e[1]), 0), n_samples), int(e[2])
        if kind == EVENT_WORD:
            pending_word = (sample, tp)
        elif kind == EVENT_PHONEME:
            mnemonic = str(e[4])
            if (pending_word is not None and last_phone_sample is not None
                    and last_phone_sample < pending_word[0] < sample):
                # espeak's pre-word pause: after the word event, before its first phoneme
                marks.append((pending_word[0], None, pending_word[1]))
            pending_word = None
            marks.append((sample, mnemonic, tp))
            last_phone_sample = sample
    marks.sort(key=lambda x: x[0])  # stable: equal samples keep emission order
    if not marks or marks[0][0] > 0:
        marks.insert(0, (0, None, 0))

    phones: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    stress: list[int] = []
    tps: list[int] = []

    def emit(phone: str, s0: int, s1: int, st: int, tp: int) -> None:
        if s1 <= s0:
            return
        if phones and phone == ep.SILENCE and phones[-1] == ep.SILENCE:
            ends[-1] = s1
            return
        phones.append(phone)
        starts.append(s0)
        ends.append(s1)
        stress.append(st)
        tps.append(tp)

    for i, (s0, mnemonic, tp) in enumerate(marks):
        s1 = marks[i + 1][0] if i + 1 < len(marks) else n_samples
        if s1 <= s0:
            continue
        if mnemonic is None or ep.is_pause(mnemonic):
            emit(ep.SILENCE, s0, s1, -1, 0)
            continue
        mapped = ep.to_arpabet(mnemonic, timed=True)
        if not mapped:  # e.g. ";": extend the previous phone
            if phones:
                ends[-1] = s1
            else:
                emit(ep.SILENCE, s0, s1, -1, 0)
            continue
        base, mark = ep.split_mnemonic(mnemonic)
        weights = ep.split_weights(base, len(mapped))
        cuts = s0 + np.round(np.cumsum((0.0,) + tuple(weights)) * (s1 - s0)).astype(int)
        cuts[-1] = s1
        first_vowel = True
        for k, phone in enumerate(mapped):
            if phone in _VOWELS:
                st = (mark if mark is not None else 0) if first_vowel else 0
                first_vowel = False
            else:
                st = -1
            emit(phone, int(cuts[k]), int(cuts[k + 1]), st, tp)

    if samples is not None:
        _attach_stop_closures(phones, starts, ends, samples, sample_rate)

    words = _words(word_events, phones, starts, ends, tps, text, sample_rate)

    sr = float(sample_rate)
    keep = [i for i in range(len(phones)) if ends[i] > starts[i]]
    phones = [phones[i] for i in keep]
    starts, ends = [starts[i] for i in keep], [ends[i] for i in keep]
    stress = [stress[i] for i in keep]
    return PhonemeTrack(
        phones=tuple(phones),
        start_s=np.asarray(starts, np.float64) / sr,
        end_s=np.asarray(ends, np.float64) / sr,
        stress=np.asarray(stress, np.int8),
        method="tts",
        words=tuple(words),
    )


def _words(word_events: list[tuple[int, int, int]], phones: list[str], starts: list[int],
           ends: list[int], tps: list[int], text: str, sample_rate: int):
    """(word, start_s, end_s) from espeak's word events and the phones' text positions.

    Word events whose character spans overlap are one written word (espeak reads "2024" as
    four spoken words that all point into it); a word lasts from its first to its last non-SIL
    phone. Text positions are 1-based character indices into `text`."""
    spans: list[list[int]] = []
    for _, tp, length in word_events:
        end = tp + max(length, 0)  # length 0: espeak did not say; the token is looked up
        if spans and tp < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([tp, end])
    words: list[tuple[str, float, float]] = []
    for tp0, tp1 in spans:
        idx = [i for i, tp in enumerate(tps) if tp0 <= tp < max(tp1, tp0 + 1)
               and phones[i] != ep.SILENCE and ends[i] > starts[i]]
        if idx:
            words.append((_word_text(text, tp0, tp1), starts[idx[0]] / sample_rate,
                          max(ends[i] for i in idx) / sample_rate))
    return words


def _word_text(text: str, tp0: int, tp1: int) -> str:
    """The written word at 1-based character positions [tp0, tp1), without edge punctuation."""
    if not text or tp0 < 1 or tp0 > len(text):
        return ""
    a, b = tp0 - 1, min(tp1 - 1, len(text))
    word = text[a:b]
    if not word.strip() or (b < len(text) and text[b] in "-'\u2019"):
        # no length (e.g. at a quote mark), or a hyphenated / clitic word espeak reports once
        b = a
        while b < len(text) and not text[b].isspace():
            b += 1
        word = text[a:b]
    word = word.strip()
    i, j = 0, len(word)
    while i < j and not word[i].isalnum():
        i += 1
    while j > i and not word[j - 1].isalnum():
        j -= 1
    return word[i:j]


STOPS = frozenset({"P", "B", "T", "D", "K", "G", "CH", "JH"})
SILENT_ABS = 1e-4  # |sample| below this is espeak's digital silence (int16 |x| <= 3)
MIN_CLOSURE_S = 0.005


def _attach_stop_closures(phones: list[str], starts: list[int], ends: list[int],
                          samples: np.ndarray, sample_rate: int) -> None:
    """Move each stop's start back over the digital silence ending at it (in place, samples).

    See `events_to_track`. Only silence inside a non-SIL phone is moved; SIL stays SIL."""
    silent = np.abs(np.asarray(samples, np.float32)) < SILENT_ABS
    min_run = max(1, int(round(MIN_CLOSURE_S * sample_rate)))
    for i in range(1, len(phones)):
        if phones[i] not in STOPS or phones[i - 1] == ep.SILENCE:
            continue
        lo, s = starts[i - 1], starts[i]
        if s - lo <= 0:
            continue
        audible = np.flatnonzero(~silent[lo:s])
        j = lo + (int(audible[-1]) + 1 if len(audible) else 0)
        if s - j < min_run:
            continue
        if j > lo:  # the previous phone keeps its audible part, the stop gets the closure
            ends[i - 1] = j
            starts[i] = j
            continue
        # the whole previous phone is silence: re-home it to the tail of the phone before it
        if i >= 2 and phones[i - 2] != ep.SILENCE and phones[i - 1] not in _VOWELS \
                and phones[i - 1] not in STOPS and ends[i - 2] == lo:
            duration = min(ends[i - 1] - starts[i - 1], (ends[i - 2] - starts[i - 2]) // 2)
            if duration > 0:
                ends[i - 2] = lo - duration
                starts[i - 1] = lo - duration
                ends[i - 1] = lo
                starts[i] = lo
