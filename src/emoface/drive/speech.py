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

from ..errors import stop_if_asked
from ..types import Audio, PhonemeTrack
from .align import (FRAME_S, AlignmentFailed, forced_align_scored, phone_loop, phone_loop_scores, speech_fit,
                    tile)
from .energy import energy_track
from .transcribe import Transcript, TranscriptSegment, transcribe

log = logging.getLogger(__name__)

CHUNK_S = 30.0
PAD_S = 0.25
# A transcript the user gives is checked against the speech on its first FIT_CHECK_S seconds,
# against the phone loop's own phones aligned the same way (align.phone_loop_scores): the
# words' mean acoustic score per frame minus the loop's (fit), and the frames the words take
# over the frames the loop's phones take (coverage: a few words stretched over a long clip
# leave most of it to silence models, which fit anything). Measured (bench/transcript_fit.py,
# 4 real and 4 espeak clips): the right transcripts fit -14 to +13 with coverage >= 0.96;
# every wrong one that aligns fits below -18 or covers at most 0.36. Below either bar the lips
# would mouth words nobody said, so the phone loop is used instead.
FIT_CHECK_S = 20.0
MISMATCH_FIT = -16.0
MISMATCH_COVERAGE = 0.6
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
        stop_if_asked(stop, "alignment")
        piece = _crop(audio, start, end)
        try:
            parts.append(_align_trimming_edges(piece, text, start))
        except AlignmentFailed as exc:
            parts.append(_fallback(piece, start, f"forced alignment failed ({exc})"))
    return concatenate(parts, audio.duration_s)


def _align_trimming_edges(piece: Audio, text: str, start_s: float) -> PhonemeTrack:
    """Forced alignment; if it fails, retry without the last, then the first word (a clip cut
    mid-word is transcribed whole but cannot be aligned whole)."""
    return _scored_trimming_edges(piece, text, start_s)[0]


def _scored_trimming_edges(piece: Audio, text: str, start_s: float) -> tuple[PhonemeTrack, list]:
    """`_align_trimming_edges` -> (track, word entries as `forced_align_scored` gives them)."""
    words = text.split()
    attempts = [words, words[:-1], words[1:], words[1:-1]]
    error: AlignmentFailed | None = None
    for attempt in attempts:
        if not attempt:
            continue
        try:
            return forced_align_scored(piece, " ".join(attempt), start_s)
        except AlignmentFailed as exc:
            error = error or exc
    raise error or AlignmentFailed("empty transcript")


def transcript_fit(audio: Audio, entries: list) -> tuple[float, float] | None:
    """How well an alignment's word entries (from `forced_align_scored`) fit the first
    FIT_CHECK_S seconds of `audio` -> (fit, coverage) against the phone loop's phones (see
    MISMATCH_FIT); None when the phone loop hears no speech there."""
    head = _crop(audio, 0.0, min(FIT_CHECK_S, audio.duration_s))
    try:
        reference = phone_loop_scores(head)
    except AlignmentFailed:
        return None
    loop_score, loop_frames = speech_fit(reference)
    if not loop_frames:
        return None
    score, frames = speech_fit(entries, until_frame=round(head.duration_s / FRAME_S))
    return score - loop_score, frames / loop_frames


def transcript_matches(measured: tuple[float, float]) -> bool:
    """Whether a `transcript_fit` (fit, coverage) passes both bars (MISMATCH_FIT, MISMATCH_COVERAGE)."""
    return measured[0] >= MISMATCH_FIT and measured[1] >= MISMATCH_COVERAGE


def _align_given(audio: Audio, transcript: str, stop: threading.Event | None) -> PhonemeTrack:
    """The user's transcript, aligned and checked against the speech (`transcript_fit`); the
    phone loop when it cannot be aligned or does not match."""
    stop_if_asked(stop, "alignment")
    try:
        track, entries = _scored_trimming_edges(audio, transcript, 0.0)
    except AlignmentFailed as exc:
        log.warning("the transcript could not be aligned to the speech (%s): the lips follow the sounds "
                    "instead of its words; check --transcript, or leave it out to have the speech "
                    "transcribed", exc)
        return _fallback(audio, 0.0, f"forced alignment failed ({exc})")
    stop_if_asked(stop, "alignment")
    measured = transcript_fit(audio, entries)
    if measured is not None and not transcript_matches(measured):
        log.warning("the transcript does not match the speech (fit %.0f, covering %.0f%% of it; a matching "
                    "one fits above %.0f and covers most of it): the lips follow the sounds instead of its "
                    "words; check --transcript, or leave it out to have the speech transcribed",
                    measured[0], 100 * measured[1], MISMATCH_FIT)
        return _fallback(audio, 0.0, "the transcript does not match the speech")
    log.info("the transcript fits the speech (%s)", "unmeasured" if measured is None
             else f"fit {measured[0]:.0f}, covering {100 * measured[1]:.0f}%")
    return track


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
        return _align_given(audio, transcript, stop)
    heard: Transcript = transcribe(audio, stop=stop)
    if not heard.usable:
        log.info("Whisper tiny.en gave no usable English transcript (mean log-prob %.2f: %r)",
                 heard.avg_logprob, heard.text[:60])
        return _fallback(audio, 0.0, "no usable transcript")
    log.info("Whisper tiny.en heard: %r (mean log-prob %.2f); aligning it", heard.text[:200],
             heard.avg_logprob)
    return _align_chunks(audio, _chunks(heard.segments, audio.duration_s), stop)
