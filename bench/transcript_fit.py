#!/usr/bin/env python
"""How well a given transcript fits the speech (`drive.speech.transcript_fit`): every clip
against every transcript (the right one on the diagonal) and a few short wrong texts, as
fit/coverage. A matching transcript must pass both bars (`MISMATCH_FIT`, `MISMATCH_COVERAGE`)
and every other one fail one of them (or fail to align), or `--transcript` would either warn
about a right transcript or let the lips mouth wrong words.

Clips: the shared English speech (the LibriSpeech clip with its transcript from DESIGN.md, the
other clips with what Whisper tiny.en hears) and espeak-ng sentences at several voices and
rates (their exact text).

    .venv/bin/python bench/transcript_fit.py      # ~1 min on 2 cores
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from emoface.drive.align import AlignmentFailed  # noqa: E402
from emoface.drive.speech import (MISMATCH_COVERAGE, MISMATCH_FIT, _scored_trimming_edges,  # noqa: E402
                                  transcript_fit, transcript_matches)
from emoface.drive.transcribe import transcribe  # noqa: E402
from emoface.drive.tts import synthesize  # noqa: E402
from emoface.io.audio import load_audio  # noqa: E402

MEDIA = Path(os.environ.get("EMOFACE_MEDIA") or REPO.parent / "shared" / "media")
LIBRISPEECH = ("IT WAS THE FIRST GREAT SORROW OF HIS LIFE IT WAS NOT SO MUCH THE LOSS OF THE COTTON "
               "ITSELF BUT THE FANTASY THE HOPES THE DREAMS BUILT AROUND IT")
SENTENCES = [  # (text, voice, words per minute)
    ("Hello there, my name is Robin and I like to paint portraits of my friends.", "en-us", 140),
    ("Yesterday the weather was cold, so we stayed inside and read books all afternoon.", "en-us", 190),
    ("The quick brown fox jumps over the lazy dog while the children watch from the garden.", "en-gb", 160),
    ("Please remember to switch off the lights before you leave the office tonight.", "en-us", 120),
]
SHORT_WRONG = ["Bananas", "completely unrelated words about bananas", "hello", "one two three"]


def clips() -> list[tuple[str, object, str]]:
    """(name, 16 kHz Audio, its transcript)."""
    out = []
    for path in [MEDIA / "audio" / "en_librispeech_1995-1837-0001.wav", MEDIA / "audio" / "en_hdtf_radio_address_8s.wav",
                 MEDIA / "video" / "hdtf_aoc_8s.mp4", MEDIA / "video" / "theresa_may_address_5s.mp4"]:
        if not path.exists():
            continue
        audio = load_audio(path, 16000)
        text = LIBRISPEECH if "librispeech" in path.name else transcribe(audio).text
        out.append((path.stem[:18], audio, text))
    for i, (text, voice, rate) in enumerate(SENTENCES):
        audio, _ = synthesize(text, voice=voice, rate_wpm=rate)
        out.append((f"espeak{i}_{voice}_{rate}", _at_16k(audio), text))
    return out


def _at_16k(audio):
    """espeak's 22.05 kHz -> 16 kHz (through a WAV and the loader's resampler)."""
    import tempfile

    from emoface.io.audio import save_wav

    with tempfile.TemporaryDirectory() as tmp:
        save_wav(Path(tmp) / "s.wav", audio)
        return load_audio(Path(tmp) / "s.wav", 16000)


def fit_of(audio, text: str) -> tuple[float, float] | None:
    """(fit, coverage), or None when the text cannot be aligned (or there is no speech)."""
    try:
        _, entries = _scored_trimming_edges(audio, text, 0.0)
    except AlignmentFailed:
        return None
    return transcript_fit(audio, entries)


def main() -> int:
    data = clips()
    texts = [text for _, _, text in data] + SHORT_WRONG
    print(f"transcript fit: (words' acoustic score per frame minus the phone loop's) / (the words' frames over "
          f"the loop's); a match needs fit >= {MISMATCH_FIT:g} and coverage >= {MISMATCH_COVERAGE:g}")
    print(f"rows: clips; columns: their transcripts t0-t{len(data) - 1} in row order, then "
          f"{', '.join(repr(t) for t in SHORT_WRONG)}; '-' = not aligned; * = the right one\n")
    right, wrong_passing, wrong_aligned, seconds = [], [], 0, []
    for i, (name, audio, _) in enumerate(data):
        row = []
        for j, text in enumerate(texts):
            started = time.perf_counter()
            measured = fit_of(audio, text)
            seconds.append((time.perf_counter() - started) / audio.duration_s)
            if measured is None:
                row.append(f"{'-':>11s}")
                continue
            row.append(f"{measured[0]:5.0f}/{measured[1]:4.2f}" + ("*" if i == j else " "))
            if i == j:
                right.append(measured)
            else:
                wrong_aligned += 1
                if transcript_matches(measured):
                    wrong_passing.append((name, text))
        print(f"{name:28s}" + "".join(row))
    print(f"\nright transcripts passing: {sum(transcript_matches(m) for m in right)} of {len(data)} "
          f"(fit min {min(m[0] for m in right):.0f}, coverage min {min(m[1] for m in right):.2f})")
    print(f"wrong transcripts that aligned: {wrong_aligned}; passing as a match: {len(wrong_passing)} {wrong_passing}")
    print(f"alignment + check: median {np.median(seconds):.3f} s per second of speech")
    ok = len(right) == len(data) and all(transcript_matches(m) for m in right) and not wrong_passing
    print("separated:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
