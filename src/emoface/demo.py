"""The built-in demo: scikit-image's astronaut photo speaks a line (espeak-ng), and her emotion
follows the words she names. No user files are needed.
"""
from __future__ import annotations

from .control.timeline import EmotionKey
from .types import PhonemeTrack

DEMO_LINE = ("Hello! I am a talking portrait. I can look happy, or surprised, "
             "or rather sad, or even angry. And back to calm.")
# word -> (emotion, level) that starts on that word
DEMO_CUES: dict[str, tuple[str | None, float]] = {
    "happy": ("happy", 2.5), "surprised": ("surprised", 2.5), "sad": ("sad", 2.5),
    "angry": ("angry", 2.5), "calm": ("neutral", 0.0),
}
DEMO_LEAD_S = 0.25  # the face changes slightly before the word that names the emotion


def demo_portrait():
    """RGB uint8 [512, 512, 3]: scikit-image's astronaut photo (ships with the package)."""
    import skimage.data

    return skimage.data.astronaut()


def demo_timeline(track: PhonemeTrack) -> list[EmotionKey]:
    """Emotion keys on the synthesised words of `DEMO_LINE` (first key: neutral at 0)."""
    keys = [EmotionKey(0.0, "neutral", 0.0)]
    for word, start, _end in track.words:
        cue = DEMO_CUES.get(word.lower().strip(".,!?"))
        if cue:
            keys.append(EmotionKey(max(0.0, start - DEMO_LEAD_S), *cue))
    return keys
