"""Audio (+ optional transcript) -> timed phonemes, by the best path that works.

    transcript given ─┐
    Whisper tiny.en ──┴─► pocketsphinx forced alignment ──(fails)──► phone loop ──(fails)──► energy
    (non-English or unusable transcript) ─────────────────────────────► phone loop ─► energy

Long clips are aligned in chunks of Whisper segments (at most `CHUNK_S` seconds each) so memory
and search stay bounded. The path taken is logged at INFO level (`emoface -v`) and recorded in
`PhonemeTrack.method` ("forced-alignment" if every chunk aligned, else the weakest path used).
"""
from __future__ import annotations

import logging
import threading

import numpy as np

from ..errors import Stopped
from ..types import Audio, PhonemeTrack
from .align import AlignmentFailed, forced_align, phone_loop, tile
from .energy import energy_track
from .transcribe import Transcript, TranscriptSegment, transcribe

log = logging.getLogger(__name__)

CHUNK_S = 30.0
PAD_S = 0.25
METHOD_RANK = ("tts", "forced-alignment", "phone-loop", "energy")


def _crop(audio: Audio, start_s: float, end_s: float) -> Audio:
    a = int(max(0.0, start_s) * audio.sample_rate)
    b = int(min(audio.duration_s, end_s) * audio.sample_rate)
    return Audio(audio.samples[a:b], audio.sample_rate, audio.source)


def _fallback(audio: Audio, offset_s: float, why: str) -> PhonemeTrack:
    try:
        track = phone_loop(audio, offset_s)
        log.info("speech %.1f-%.1f s: %s; used pocketsphinx's phone loop", offset_s,
                 offset_s + audio.duration_s, why)
        return track
    except AlignmentFailed as exc:
        log.info("speech %.1f-%.1f s: %s and the phone loop failed (%s); used the loudness model",
                 offset_s, offset_s + audio.duration_s, why, exc)
        track = energy_track(audio)
        return tile(track.phones, track.start_s + offset_s, track.end_s + offset_s, track.stress,
                    "energy", (), offset_s, offset_s + audio.duration_s)


def _chunks(segments: tuple[TranscriptSegment, ...], duration_s: float) -> list[tuple[float, float, str]]:
    """Group Whisper segments into (start, end, text) chunks of at most CHUNK_S seconds that
    tile [0, duration): boundaries fall between segments."""
    out: list[tuple[float, float, str]] = []
    start, texts, last_end = 0.0, [], 0.0
    for seg in segments:
        if texts and seg.end_s - start > CHUNK_S:
            cut = (last_end + seg.start_s) / 2
            out.append((start, cut, " ".join(texts)))
            start, texts = cut, []
        texts.append(seg.text)
        last_end = seg.end_s
    if texts:
        out.append((start, duration_s, " ".join(texts)))
    return out


def _align_chunks(audio: Audio, chunks: list[tuple[float, float, str]],
                  stop: threading.Event | None = None) -> PhonemeTrack:
    parts: list[PhonemeTrack] = []
    for start, end, text in chunks:
        if stop is not None and stop.is_set():
            raise Stopped("alignment stopped")
        piece = _crop(audio, start, end)
        try:
            parts.append(_align_trimming_edges(piece, text, start))
        except AlignmentFailed as exc:
            parts.append(_fallback(piece, start, f"forced alignment failed ({exc})"))
    return concatenate(parts, audio.duration_s)


def _align_trimming_edges(piece: Audio, text: str, start_s: float) -> PhonemeTrack:
    """Forced alignment; if it fails, retry without the last, then the first word (a clip cut
    mid-word is transcribed whole but cannot be aligned whole)."""
    words = text.split()
    attempts = [words, words[:-1], words[1:], words[1:-1]]
    error: AlignmentFailed | None = None
    for attempt in attempts:
        if not attempt:
            continue
        try:
            return forced_align(piece, " ".join(attempt), start_s)
        except AlignmentFailed as exc:
            error = error or exc
    raise error or AlignmentFailed("empty transcript")


def concatenate(parts: list[PhonemeTrack], duration_s: float) -> PhonemeTrack:
    """Join consecutive tracks -> one track tiling [0, duration_s); method = weakest part's."""
    method = max((p.method for p in parts), key=METHOD_RANK.index, default="energy")
    names = [n for p in parts for n in p.phones]
    if not names:
        return tile([], [], [], [], method, (), 0.0, duration_s)
    return tile(names, np.concatenate([p.start_s for p in parts]), np.concatenate([p.end_s for p in parts]),
                np.concatenate([p.stress for p in parts]), method,
                tuple(w for p in parts for w in p.words), 0.0, duration_s)


def phoneme_track(audio: Audio, transcript: str | None = None, language: str = "en",
                  stop: threading.Event | None = None) -> PhonemeTrack:
    """16 kHz mono audio -> PhonemeTrack tiling the whole clip.

    transcript: what is said (any capitalisation and punctuation), or None to transcribe.
    language:   "en" (default) tries Whisper/alignment; any other code goes to the phone loop.
    stop:       when set (by a caller that no longer wants the result), raises `Stopped` between
                transcription windows and alignment chunks.
    """
    if language.lower() not in ("en", "english"):
        log.info("language %r: no English alignment; using pocketsphinx's phone loop", language)
        return _fallback(audio, 0.0, f"language {language!r}")
    if transcript is not None and transcript.strip():
        log.info("aligning the given transcript (%d words)", len(transcript.split()))
        return _align_chunks(audio, [(0.0, audio.duration_s, transcript)], stop)
    heard: Transcript = transcribe(audio, stop=stop)
    if not heard.usable:
        log.info("Whisper tiny.en gave no usable English transcript (mean log-prob %.2f: %r)",
                 heard.avg_logprob, heard.text[:60])
        return _fallback(audio, 0.0, "no usable transcript")
    log.info("Whisper tiny.en heard: %r (mean log-prob %.2f); aligning it", heard.text[:200],
             heard.avg_logprob)
    return _align_chunks(audio, _chunks(heard.segments, audio.duration_s), stop)
