"""`--emotion auto`: an emotion and level per sentence, from the words and the voice.

    sentences ─ the transcript's sentences (. ! ? ;) timed by the aligned words; without
                punctuation (a Whisper word track), phrases between pauses; a sentence
                longer than MAX_SENTENCE_S is cut at its pauses too
    words ───── VADER (Hutto & Gilbert 2014) compound valence -1..1, and the NRC Emotion
                Lexicon (Mohammad & Turney 2013, via nrclex) word votes for anger, disgust,
                fear, joy, sadness, surprise and for positive/negative (each word splits one
                vote among its emotions), with EMOTION_TERMS (words that name an emotion)
                voting for that emotion alone; a word up to NEGATION_SCOPE words after a
                negation (not, never, n't, ...) gives no vote
    voice ───── arousal -1..1 from speaking rate (vowels per second of speech), pitch range
                (semitone spread of F0, `drive.pitch`) and, across sentences of one clip,
                pitch height and loudness relative to the clip: high-arousal emotions (anger,
                fear, elation) raise F0 level, range and loudness and speed speech up,
                sadness lowers them (Banse & Scherer 1996, JPSP 70:614; Juslin & Laukka 2003)
    choice ──── valence = VADER's compound, averaged with NRC's positive/negative balance
                (pos - neg) / (pos + neg + 1) when the sentence has NRC polarity words. A clearly positive sentence can be happy
                or surprised, a negative one angry, disgusted, fear or sad; each candidate
                scores its NRC votes plus its arousal on Russell's (1980) circumplex times the
                voice's arousal (so a calm voice tips sorrow towards sad, a tense one towards
                fear). No emotion words and a weak valence: neutral. Contempt only comes from
                the words that name it (neither lexicon has it). A sentence whose words vote
                for both a positive and a negative emotion keeps the previous sentence's
                emotion if it is among them ("the loss ... but the hopes" after a sad one).
    level ───── 1 + 2 * strength (strength from |valence| and the votes, 0..1), raised by a
                voice whose arousal fits the emotion (lowered by one that does not), 0.75..3.

Both lexicons ship inside their packages; nothing is downloaded. nrclex is used on our own
word list (`load_token_list`), so TextBlob's corpora are never needed.
"""
from __future__ import annotations

import difflib
import functools
import logging
import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from ..drive.phonemes import SILENCE, VOWELS
from ..errors import EmofaceError
from ..types import Audio, PhonemeTrack
from .timeline import EmotionKey

log = logging.getLogger(__name__)

AUTO = "auto"

# segmentation
PHRASE_PAUSE_S = 0.3       # a pause at least this long ends a phrase (no punctuation)
MAX_SENTENCE_S = 6.0       # longer sentences are cut at their pauses too
MIN_PHRASE_WORDS = 3       # shorter phrases join their neighbour
KEY_LEAD_MAX_S = 0.5       # a key sits in the pause before its sentence, at most this early

# words
NEUTRAL_VALENCE = 0.35     # |valence| below this with no emotion words: neutral (VADER's "please" is 0.32)
SIGN_VALENCE = 0.05        # |valence| below this: no valence gate on the candidates
NEGATIONS = frozenset({"not", "no", "never", "nor", "none", "nobody", "nothing", "neither", "without",
                       "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt", "wont",
                       "wouldnt", "shouldnt", "couldnt", "arent", "werent", "hardly"})
NEGATION_SCOPE = 2         # words after a negation that give no lexicon vote ("not very happy")
NRC_TO_EMOTION = {"anger": "angry", "disgust": "disgusted", "fear": "fear", "joy": "happy",
                  "sadness": "sad", "surprise": "surprised"}
# Words that name an emotion outright. They vote for that one emotion, in place of their NRC
# entry: nrclex's lexicon lacks some (sad, scared, terrified, tears, wow) and gives others
# several emotions (fear -> anger + fear, angry -> anger + disgust). Contempt is reachable only
# through these.
EMOTION_TERMS: dict[str, str] = {w: e for e, words in {
    "happy": "happy happiness glad joy joyful joyous delighted cheerful overjoyed thrilled elated",
    "sad": "sad sadness unhappy sorrow sorrowful grief tears tearful cry crying cried weep weeping "
           "heartbroken miserable depressed lonely",
    "angry": "angry anger furious rage raging outraged annoyed irritated infuriated",
    "fear": "afraid fear fearful scared terrified frightened horrified panic anxious nervous",
    "disgusted": "disgusted disgust disgusting gross revolting repulsive sickening yuck",
    "surprised": "surprised surprise surprising astonished amazed shocked wow unbelievable",
    "contempt": "contempt scorn disdain contemptuous",
}.items() for w in words.split()}
TERM_VOTES = 2.0           # a word that names an emotion counts as much as two associations
POSITIVE_EMOTIONS = ("happy", "surprised")
NEGATIVE_EMOTIONS = ("angry", "contempt", "disgusted", "fear", "sad")
# arousal of each emotion on Russell's (1980) circumplex, -1 (calm) .. 1 (excited), rounded;
# contempt (not on it) is placed beside disgust
CIRCUMPLEX_AROUSAL = {"angry": 0.8, "contempt": 0.3, "disgusted": 0.35, "fear": 0.75, "happy": 0.5,
                      "sad": -0.5, "surprised": 0.85}
AROUSAL_WEIGHT = 0.3       # how much the voice's arousal counts against one word vote
DEFAULT_PRIOR = {"sad": 0.05, "happy": 0.05}  # ties without votes: the commonest of each sign

# voice
RATE_REF_SYL_S, RATE_SCALE = 4.5, 1.5      # vowels per second of speech; typical read English
RANGE_REF_ST, RANGE_SCALE = 3.5, 1.5       # F0 standard deviation in semitones (read English
                                           # in the shared clips: 3.6-4.5)
PITCH_SCALE_ST = 2.0                       # sentence median F0 vs the clip's, semitones
LOUDNESS_SCALE_DB = 4.0                    # sentence loudness vs the clip's, dB
MIN_VOICED_HOPS = 10


@dataclass(frozen=True)
class Sentence:
    """A stretch of speech: its text and span in seconds (start_s, end_s of its first and last
    word) and its words (as aligned)."""

    text: str
    start_s: float
    end_s: float
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class VoiceFeatures:
    """Prosody of one sentence. rate_syl_s: vowels per second of speech (pauses excluded);
    f0_median_hz, f0_range_st (std of F0 in semitones); pitch_rel_st, loudness_rel_db: against
    the whole clip's median (0 for a one-sentence clip); arousal: -1..1."""

    rate_syl_s: float | None
    f0_median_hz: float | None
    f0_range_st: float | None
    pitch_rel_st: float | None
    loudness_rel_db: float | None
    arousal: float


@dataclass(frozen=True)
class SentenceChoice:
    """What `--emotion auto` chose for one sentence and why. key_s: when the face starts to
    change (s); valence -1..1; votes: NRC votes per emotion; emotion_words: word -> its NRC
    emotions; reason: one line for people."""

    start_s: float
    end_s: float
    key_s: float
    text: str
    emotion: str
    level: float
    valence: float
    vader_compound: float
    votes: dict = field(default_factory=dict)
    emotion_words: dict = field(default_factory=dict)
    voice: VoiceFeatures | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        """JSON-ready (the `emotion_auto` entries of the curves file)."""
        out = asdict(self)
        for k in ("start_s", "end_s", "key_s", "level", "valence", "vader_compound"):
            out[k] = round(float(out[k]), 3)
        out["votes"] = {k: round(float(v), 3) for k, v in self.votes.items()}
        if self.voice is not None:
            out["voice"] = {k: (None if v is None else round(float(v), 3)) for k, v in out["voice"].items()}
        return out


# --- text -------------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens ("Don't stop!" -> ["don't", "stop"])."""
    return _TOKEN.findall(text.lower().replace("’", "'"))


def split_sentences(text: str) -> list[str]:
    """Text -> sentences, cut after . ! ? ; and at line breaks (empty ones dropped)."""
    parts = re.split(r"(?<=[.!?;])\s+|\n+", text.strip())
    return [p.strip() for p in parts if tokens(p)]


@functools.lru_cache(maxsize=1)
def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmofaceError(f"--emotion auto needs vaderSentiment ({exc}); rerun setup.sh") from exc
    return SentimentIntensityAnalyzer()


@functools.lru_cache(maxsize=1)
def _nrc() -> dict[str, list[str]]:
    try:
        from nrclex import NRCLex
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmofaceError(f"--emotion auto needs nrclex ({exc}); rerun setup.sh") from exc
    return NRCLex().__lexicon__  # word -> affect categories, the lexicon the package ships


def _lexicon_forms(word: str) -> list[str]:
    """A word and its plain forms for a lexicon without lemmas ("tears" -> tear, "terrified" ->
    terrify, "loving" -> love)."""
    w = word.replace("'", "")
    forms = [word, w]
    if word.endswith("'s"):
        forms.append(word[:-2])
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", "e"), ("ed", ""),
                         ("ing", ""), ("ing", "e"), ("ly", ""), ("ness", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            forms.append(w[: len(w) - len(suffix)] + repl)
    return forms


def word_emotions(words: list[str]) -> tuple[dict[str, float], dict[str, list[str]], int, int]:
    """NRC votes: each emotion word splits one vote among its basic emotions -> (votes per
    emotion name, word -> its categories, positive count, negative count). Words within
    NEGATION_SCOPE after a negation are skipped."""
    lexicon = _nrc()
    votes: dict[str, float] = {}
    found: dict[str, list[str]] = {}
    positive = negative = 0
    negated_until = -1
    for i, word in enumerate(words):
        if word.replace("'", "") in NEGATIONS or word.endswith("n't"):
            negated_until = i + NEGATION_SCOPE
            continue
        if i <= negated_until:
            continue
        term = EMOTION_TERMS.get(word.replace("'", ""))
        if term:
            votes[term] = votes.get(term, 0.0) + TERM_VOTES
            found[word] = [term]
            positive += term in POSITIVE_EMOTIONS and term != "surprised"
            negative += term in NEGATIVE_EMOTIONS
            continue
        categories = next((lexicon[f] for f in _lexicon_forms(word) if f in lexicon), None)
        if not categories:
            continue
        basic = [NRC_TO_EMOTION[c] for c in categories if c in NRC_TO_EMOTION]
        positive += "positive" in categories
        negative += "negative" in categories
        if basic or "positive" in categories or "negative" in categories:
            found[word] = sorted(set(categories) - {"trust", "anticipation"})
        for emotion in basic:
            votes[emotion] = votes.get(emotion, 0.0) + 1.0 / len(basic)
    return votes, found, positive, negative


# --- voice ------------------------------------------------------------------------------

def voice_features(sentences: list[Sentence], phonemes: PhonemeTrack, speech: Audio) -> list[VoiceFeatures]:
    """Prosody and arousal of each sentence (see the module docstring)."""
    from ..drive.pitch import pitch_track
    from ..drive.prosody import HOP_S, loudness_db, speech_mask

    pitch = pitch_track(speech)
    loud = loudness_db(speech)
    mask = speech_mask(loud)
    hop_t = (np.arange(len(loud)) + 0.5) * HOP_S
    voiced = pitch.voiced
    clip_f0 = float(np.median(pitch.f0_hz[voiced])) if voiced.sum() >= MIN_VOICED_HOPS else None
    clip_db = float(np.median(loud[mask])) if mask.any() else None
    several = len(sentences) > 1
    out = []
    for s in sentences:
        inside = (hop_t >= s.start_s) & (hop_t < s.end_s)
        f0 = pitch.f0_hz[inside & voiced]
        median = range_st = pitch_rel = None
        if len(f0) >= MIN_VOICED_HOPS:
            median = float(np.median(f0))
            range_st = float(np.std(12 * np.log2(f0 / median)))
            if several and clip_f0:
                pitch_rel = 12 * math.log2(median / clip_f0)
        loud_rel = None
        if several and clip_db is not None and (inside & mask).any():
            loud_rel = float(np.mean(loud[inside & mask])) - clip_db
        rate = _speaking_rate(phonemes, s.start_s, s.end_s)
        parts = []
        if rate is not None:
            parts.append((rate - RATE_REF_SYL_S) / RATE_SCALE)
        if range_st is not None:
            parts.append((range_st - RANGE_REF_ST) / RANGE_SCALE)
        if pitch_rel is not None:
            parts.append(pitch_rel / PITCH_SCALE_ST)
        if loud_rel is not None:
            parts.append(loud_rel / LOUDNESS_SCALE_DB)
        arousal = float(np.tanh(np.mean(parts))) if parts else 0.0
        out.append(VoiceFeatures(rate, median, range_st, pitch_rel, loud_rel, arousal))
    return out


def _speaking_rate(phonemes: PhonemeTrack, start_s: float, end_s: float) -> float | None:
    """Vowels per second of non-silent speech within [start_s, end_s), or None if < 0.5 s."""
    inside = (phonemes.start_s < end_s) & (phonemes.end_s > start_s)
    phones = np.asarray(phonemes.phones, dtype=object)
    span = np.minimum(phonemes.end_s, end_s) - np.maximum(phonemes.start_s, start_s)
    talking = inside & (phones != SILENCE)
    seconds = float(span[talking].sum())
    if seconds < 0.5:
        return None
    vowels = int(np.isin(phones[inside], VOWELS).sum())
    return vowels / seconds


# --- sentences --------------------------------------------------------------------------

def find_sentences(phonemes: PhonemeTrack, text: str | None = None) -> list[Sentence]:
    """Timed sentences: `text`'s sentences matched to the aligned words when a text is given,
    else phrases between pauses; sentences longer than MAX_SENTENCE_S cut at pauses."""
    words = [(w, float(s), float(e)) for w, s, e in phonemes.words if tokens(w)]
    if not words:
        talking = [(s, e) for p, s, e in zip(phonemes.phones, phonemes.start_s, phonemes.end_s) if p != SILENCE]
        if not talking:
            return []
        return [Sentence(text.strip() if text else "", float(talking[0][0]), float(talking[-1][1]))]
    groups: list[list[int]] = []
    labels: list[str] = []
    sentences = split_sentences(text) if text else []
    owner = [-1] * len(words)
    if sentences:
        said = [(tok, k) for k, sent in enumerate(sentences) for tok in tokens(sent)]
        heard = [" ".join(tokens(w)) for w, _, _ in words]
        matcher = difflib.SequenceMatcher(None, [t for t, _ in said], heard, autojunk=False)
        for block in matcher.get_matching_blocks():
            for j in range(block.size):
                owner[block.b + j] = said[block.a + j][1]
    if any(o >= 0 for o in owner):  # the text's sentences, timed by the words matched to them
        current = max(0, next((o for o in owner if o >= 0), 0))
        group_owner = -1
        for i, o in enumerate(owner):
            current = o if o >= 0 else current
            if current != group_owner:
                groups.append([])
                labels.append(sentences[current])
                group_owner = current
            groups[-1].append(i)
    else:
        phrases = [[0]]
        for i in range(1, len(words)):
            if words[i][1] - words[i - 1][2] >= PHRASE_PAUSE_S:
                phrases.append([])
            phrases[-1].append(i)
        groups = _join_short(phrases)
        labels = [None] * len(groups)
    out: list[Sentence] = []
    for group, label in zip(groups, labels):
        for piece in _cut_long(group, words, punctuated=label is not None):
            piece_text = label if (label is not None and piece == group) else " ".join(words[i][0] for i in piece)
            out.append(Sentence(piece_text, words[piece[0]][1], words[piece[-1]][2],
                                tuple(words[i][0] for i in piece)))
    return out


def _cut_long(group: list[int], words, punctuated: bool) -> list[list[int]]:
    """Split a sentence's word indices at its pauses when it is longer than MAX_SENTENCE_S
    (short pieces joined, `_join_short`); unpunctuated phrases are already cut at pauses."""
    if not punctuated or words[group[-1]][2] - words[group[0]][1] <= MAX_SENTENCE_S:
        return [list(group)]
    pieces = [[group[0]]]
    for a, b in zip(group, group[1:]):
        if words[b][1] - words[a][2] >= PHRASE_PAUSE_S:
            pieces.append([])
        pieces[-1].append(b)
    return _join_short(pieces)


def _join_short(pieces: list[list[int]]) -> list[list[int]]:
    """Pieces (word index lists) shorter than MIN_PHRASE_WORDS join their neighbour."""
    merged: list[list[int]] = []
    for piece in pieces:
        if merged and (len(piece) < MIN_PHRASE_WORDS or len(merged[-1]) < MIN_PHRASE_WORDS):
            merged[-1].extend(piece)
        else:
            merged.append(list(piece))
    return merged


# --- choice -----------------------------------------------------------------------------

def choose(sentence: Sentence, voice: VoiceFeatures | None, previous: str | None = None
           ) -> tuple[str, float, dict]:
    """-> (emotion, level, evidence) for one sentence from its words and voice; `previous`:
    the emotion chosen for the sentence before, kept when this one's words are mixed."""
    compound = float(_vader().polarity_scores(sentence.text)["compound"]) if sentence.text else 0.0
    votes, found, positive, negative = word_emotions(tokens(sentence.text))
    valence = compound
    if positive + negative:  # NRC's balance, damped so that one word gives +-0.5
        valence = 0.5 * (compound + (positive - negative) / (positive + negative + 1))
    arousal = voice.arousal if voice is not None else 0.0
    evidence = dict(compound=compound, valence=valence, votes=votes, found=found, arousal=arousal, kept=False)
    total_votes = sum(votes.values())
    if not total_votes and abs(valence) < NEUTRAL_VALENCE:
        return "neutral", 0.0, evidence
    mixed = any(votes.get(e) for e in POSITIVE_EMOTIONS) and any(votes.get(e) for e in NEGATIVE_EMOTIONS)
    if mixed and votes.get(previous):
        candidates = (previous,)  # emotional inertia: mixed words keep the running emotion
        evidence["kept"] = True
    elif valence >= SIGN_VALENCE:
        candidates = POSITIVE_EMOTIONS
    elif valence <= -SIGN_VALENCE:
        candidates = NEGATIVE_EMOTIONS
    else:
        candidates = POSITIVE_EMOTIONS + NEGATIVE_EMOTIONS
    scores = {e: votes.get(e, 0.0) + AROUSAL_WEIGHT * arousal * CIRCUMPLEX_AROUSAL[e] + DEFAULT_PRIOR.get(e, 0.0)
              for e in candidates}
    emotion = max(scores, key=scores.get)
    if votes.get(emotion, 0.0) == 0.0 and abs(valence) < NEUTRAL_VALENCE:
        return "neutral", 0.0, evidence  # the votes were all for the other sign's emotions
    strength = min(1.0, 0.6 * abs(valence) + 0.4 * min(1.0, votes.get(emotion, 0.0) / TERM_VOTES))
    if evidence["kept"]:
        strength = 0.4 * min(1.0, votes[emotion] / TERM_VOTES)  # the words pull both ways
    fit = arousal * np.sign(CIRCUMPLEX_AROUSAL[emotion])
    level = (1.0 + 2.0 * strength) * (1.0 + 0.25 * fit)
    return emotion, float(np.clip(round(level, 1), 0.75, 3.0)), evidence


def _reason(emotion: str, level: float, evidence: dict, voice: VoiceFeatures | None) -> str:
    words = ", ".join(f"{w}: {'/'.join(c)}" for w, c in list(evidence["found"].items())[:4]) or "no emotion words"
    text = (f"{emotion}" + (f" {level:g}" if emotion != "neutral" else "")
            + f" - words: valence {evidence['valence']:+.2f} (VADER {evidence['compound']:+.2f}; {words})"
            + (f"; mixed words, kept the previous sentence's {emotion}" if evidence.get("kept") else ""))
    if voice is None:
        return text + "; voice: not measured"
    bits = []
    if voice.rate_syl_s is not None:
        bits.append(f"{voice.rate_syl_s:.1f} syl/s")
    if voice.f0_median_hz is not None:
        bits.append(f"F0 {voice.f0_median_hz:.0f} Hz ±{voice.f0_range_st:.1f} st")
    if voice.pitch_rel_st is not None:
        bits.append(f"pitch {voice.pitch_rel_st:+.1f} st vs clip")
    if voice.loudness_rel_db is not None:
        bits.append(f"{voice.loudness_rel_db:+.1f} dB vs clip")
    mood = "calm" if voice.arousal < -0.2 else "aroused" if voice.arousal > 0.2 else "moderate"
    return text + f"; voice: {mood}, arousal {voice.arousal:+.2f} ({', '.join(bits) or 'too short'})"


def choose_emotions(phonemes: PhonemeTrack, speech: Audio | None, text: str | None = None) -> list[SentenceChoice]:
    """Speech (its PhonemeTrack with aligned words, and the audio for the voice) -> one
    SentenceChoice per sentence. text: the transcript with punctuation, if known (the `say`
    text, `--transcript`), else the aligned words are phrased at pauses."""
    sentences = find_sentences(phonemes, text)
    voices = voice_features(sentences, phonemes, speech) if (speech is not None and sentences) else [None] * len(sentences)
    choices: list[SentenceChoice] = []
    previous_end, previous = 0.0, None
    for i, (sentence, voice) in enumerate(zip(sentences, voices)):
        emotion, level, evidence = choose(sentence, voice, previous)
        previous = emotion
        key_s = 0.0 if i == 0 else max(previous_end, sentence.start_s - KEY_LEAD_MAX_S,
                                       0.5 * (previous_end + sentence.start_s))
        choices.append(SentenceChoice(sentence.start_s, sentence.end_s, key_s, sentence.text, emotion, level,
                                      evidence["valence"], evidence["compound"], evidence["votes"],
                                      evidence["found"], voice, _reason(emotion, level, evidence, voice)))
        previous_end = sentence.end_s
    return choices


def choices_timeline(choices: list[SentenceChoice]) -> list[EmotionKey]:
    """One key per sentence (repeats of the same emotion and level dropped); neutral at 0 when
    there is no sentence."""
    keys: list[EmotionKey] = []
    for c in choices:
        if keys and keys[-1].emotion == c.emotion and keys[-1].level == c.level:
            continue
        keys.append(EmotionKey(c.key_s, c.emotion, c.level))
    return keys or [EmotionKey(0.0, "neutral", 0.0)]


def auto_timeline(phonemes: PhonemeTrack, speech: Audio | None, text: str | None = None
                  ) -> tuple[tuple[SentenceChoice, ...], list[EmotionKey]]:
    """choose_emotions + choices_timeline, logging one line per sentence (INFO, `emoface -v`)."""
    choices = choose_emotions(phonemes, speech, text)
    if not choices:
        log.info("emotion auto: no speech found; neutral")
    for c in choices:
        log.info("emotion auto %.2f-%.2f s %r: %s", c.start_s, c.end_s, c.text[:60], c.reason)
    return tuple(choices), choices_timeline(choices)
