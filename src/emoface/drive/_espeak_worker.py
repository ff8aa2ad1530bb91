"""Child-process worker that talks to libespeak-ng through ctypes (GPL: never load it in-process).

Run as ``python -m emoface.drive._espeak_worker``; it reads ONE JSON request from stdin and writes
ONE JSON reply to stdout, then exits. `emoface.drive.tts` is the only intended caller.

Requests:
    {"op": "voices"}
        -> {"ok": true, "voices": [language codes...], "variants": [variant names...]}
    {"op": "synth", "text": str, "voice": str, "rate_wpm": int}
        -> {"ok": true, "sample_rate": 22050, "pcm16_b64": base64 of little-endian int16 mono,
            "events": [[type, sample, text_position, length, name_or_number], ...]}
           Event types are espeak's (1 word, 2 sentence, 5 end of clause, 7 phoneme); `sample`
           is the sample index in the output at which the event happens; `name` is the phoneme
           mnemonic (with espeak's stress prefix, e.g. "'oU") for phoneme events.
    {"op": "phonemes", "words": [str, ...], "voice": str}
        -> {"ok": true, "phonemes": [[mnemonic, ...] per word]}  (stress marks kept as prefixes)
Errors: {"ok": false, "error": "unknown_voice" | "missing" | "espeak" | "bad_request",
         "message": str, ...}; "unknown_voice" adds "voices" (language codes) and "variants".
A voice is "language[+variant]" ("en-us", "en-gb+f3"); an espeak voice name or identifier
("English (America)", "gmw/en-US") is accepted too.

Only the standard library is imported here so that the process starts quickly (~40 ms).
Anything the library prints goes to stderr: the reply uses a private copy of the stdout fd.
"""
from __future__ import annotations

import base64
import ctypes
import json
import os
import sys

# espeak_AUDIO_OUTPUT, options, flags and event types from speak_lib.h (API revision 12).
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
CHARS_UTF8 = 1
POS_CHARACTER = 1
PARAM_RATE = 1
EVENT_LIST_TERMINATED = 0
EVENT_PHONEME = 7
EVENT_SAMPLERATE = 8
PHONEME_SEPARATOR = "|"


class EspeakEvent(ctypes.Structure):
    """`espeak_EVENT`: the id union is read as its 8 raw bytes (number / name pointer / string)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms, truncated
        ("sample", ctypes.c_int),  # sample index in the output
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_ubyte * 8),
    ]


SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(EspeakEvent)
)


class WorkerError(Exception):
    def __init__(self, code: str, message: str, **extra):
        super().__init__(message)
        self.reply = {"ok": False, "error": code, "message": message, **extra}


def _load(phoneme_events: bool):
    try:
        import espeakng_loader
    except ImportError as e:
        raise WorkerError("missing", f"espeakng-loader is not installed ({e})") from None

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [SYNTH_CALLBACK]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                 ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                          ctypes.c_int]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_Terminate.restype = ctypes.c_int
    options = INITIALIZE_PHONEME_EVENTS if phoneme_events else 0
    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                 espeakng_loader.get_data_path().encode(), options)
    if rate <= 0:
        raise WorkerError("espeak", f"espeak_Initialize failed ({rate})")
    return lib, rate


class EspeakVoice(ctypes.Structure):
    """`espeak_VOICE`; `languages` is a list of (priority byte, NUL-terminated code), then NUL."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def _list_voices(lib) -> list[tuple[str, str, list[tuple[int, str]]]]:
    """(name, identifier, [(priority, language code), ...]) for every voice espeak knows."""
    lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(EspeakVoice))
    table = lib.espeak_ListVoices(None)
    voices = []
    i = 0
    while table[i]:
        v = table[i].contents
        languages: list[tuple[int, str]] = []
        p = v.languages
        while p:
            priority = ctypes.string_at(p, 1)[0]
            if priority == 0:
                break
            code = ctypes.string_at(p + 1)
            languages.append((priority, code.decode("utf-8", "replace").lower()))
            p += 2 + len(code)
        voices.append(((v.name or b"").decode("utf-8", "replace"),
                       (v.identifier or b"").decode("utf-8", "replace"), languages))
        i += 1
    return voices


def _variants() -> list[str]:
    import espeakng_loader

    folder = os.path.join(espeakng_loader.get_data_path(), "voices", "!v")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def _voice_catalogue(lib) -> tuple[list[str], list[str]]:
    languages = sorted({code for _, _, langs in _list_voices(lib) for _, code in langs})
    return languages, _variants()


def _set_voice(lib, voice: str) -> None:
    """Select "language[+variant]" (e.g. "en-us", "en-gb+f3"); a voice name or identifier works too.

    The language picks espeak's preferred voice for it (lowest priority number)."""
    spec = voice.strip() if isinstance(voice, str) else ""
    base, _, variant = spec.partition("+")
    key = base.lower()
    best: tuple[int, str] | None = None
    for name, identifier, langs in _list_voices(lib) if key else []:
        if key in (name.lower(), identifier.lower()):
            best = (0, identifier)
            break
        for priority, code in langs:
            if code == key and (best is None or priority < best[0]):
                best = (priority, identifier)
    chosen_variant = ""
    if variant:
        by_lower = {v.lower(): v for v in _variants()}
        chosen_variant = by_lower.get(variant.lower(), "")
    if best is None or (variant and not chosen_variant):
        languages, variants = _voice_catalogue(lib)
        raise WorkerError("unknown_voice", f"unknown espeak voice {voice!r}",
                          voices=languages, variants=variants)
    full = best[1] + (f"+{chosen_variant}" if chosen_variant else "")
    if lib.espeak_SetVoiceByName(full.encode()) != 0:
        raise WorkerError("espeak", f"espeak could not load voice {full!r}")


def _synth(req: dict) -> dict:
    text = req["text"]
    lib, sample_rate = _load(phoneme_events=True)
    _set_voice(lib, req.get("voice", "en-us"))
    lib.espeak_SetParameter(PARAM_RATE, int(req.get("rate_wpm", 175)), 0)
    pcm = bytearray()
    events: list[list] = []

    failures: list[str] = []

    def callback(wav, n, ev):
        try:
            if wav and n > 0:
                pcm.extend(ctypes.string_at(wav, 2 * n))
            i = 0
            while ev[i].type != EVENT_LIST_TERMINATED:
                e = ev[i]
                raw = bytes(e.id)
                if e.type == EVENT_PHONEME:
                    value = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
                else:
                    value = int.from_bytes(raw[:4], "little", signed=True)
                if e.type != EVENT_SAMPLERATE:
                    events.append([e.type, e.sample, e.text_position, e.length, value])
                i += 1
            return 0
        except Exception as exc:  # an exception cannot cross the C callback: stop and report
            failures.append(f"{type(exc).__name__}: {exc}")
            return 1

    cb = SYNTH_CALLBACK(callback)  # keep a reference for the duration of the call
    lib.espeak_SetSynthCallback(cb)
    data = text.encode("utf-8")
    err = lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
    if failures:
        raise WorkerError("espeak", f"synthesis callback failed: {failures[0]}")
    if err != 0:
        raise WorkerError("espeak", f"espeak_Synth failed ({err})")
    lib.espeak_Terminate()
    return {"ok": True, "sample_rate": sample_rate, "events": events,
            "pcm16_b64": base64.b64encode(bytes(pcm)).decode("ascii")}


def _text_to_phonemes(lib, text: str) -> list[str]:
    """espeak's phoneme mnemonics for `text` (all clauses), stress marks kept as prefixes."""
    buf = ctypes.create_string_buffer(text.encode("utf-8"))
    ptr = ctypes.c_char_p(ctypes.addressof(buf))
    mode = ord(PHONEME_SEPARATOR) << 8  # separator between phonemes; words separated by spaces
    out: list[str] = []
    for _ in range(10_000):  # espeak advances ptr clause by clause and sets it to NULL at the end
        if not ptr.value:
            break
        res = lib.espeak_TextToPhonemes(ctypes.byref(ptr), CHARS_UTF8, mode)
        if res:
            for word in res.decode("utf-8", "replace").split():
                out.extend(p for p in word.split(PHONEME_SEPARATOR) if p)
    return out


def _phonemes(req: dict) -> dict:
    words = req["words"]
    lib, _ = _load(phoneme_events=False)
    _set_voice(lib, req.get("voice", "en-us"))
    result = [_text_to_phonemes(lib, w) if w.strip() else [] for w in words]
    lib.espeak_Terminate()
    return {"ok": True, "phonemes": result}


def _handle(req: dict) -> dict:
    op = req.get("op")
    if op == "voices":
        lib, _ = _load(phoneme_events=False)
        languages, variants = _voice_catalogue(lib)
        return {"ok": True, "voices": languages, "variants": variants}
    if op == "synth":
        return _synth(req)
    if op == "phonemes":
        return _phonemes(req)
    raise WorkerError("bad_request", f"unknown op {op!r}")


def main() -> int:
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # whatever the C library prints must not corrupt the reply
    try:
        req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        if not isinstance(req, dict):
            raise WorkerError("bad_request", "request must be a JSON object")
        reply = _handle(req)
    except WorkerError as e:
        reply = e.reply
    except (KeyError, TypeError, ValueError) as e:
        reply = {"ok": False, "error": "bad_request", "message": f"{type(e).__name__}: {e}"}
    with os.fdopen(reply_fd, "wb") as out:
        out.write(json.dumps(reply).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
