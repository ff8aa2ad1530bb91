"""What `emoface eval suite` renders (`SuiteConfig`) and the progress bar's cost units.

Units are rough costs: one still render ~ 1 unit ~ 0.1 s on 2 cores; W_* are the units of one
animation / reenact / edit run; real-video passes scale with their frame counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..judge.emotion import EMOTION_CLASSES
from ..vocab import AU_IDS
from .media import Media

W_TALK, W_REENACT, W_EDIT = 40, 60, 150
JUDGED_EMOTIONS = tuple(e for e in EMOTION_CLASSES if e != "neutral")  # fer has no contempt


@dataclass(frozen=True)
class SuiteConfig:
    """What the suite renders. `SuiteConfig.quick()` is a small version for tests."""

    emotions: tuple[str, ...] = JUDGED_EMOTIONS
    levels: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 4.0)
    express_size: int = 384
    thumb_px: int = 128
    aus: tuple[int, ...] = AU_IDS
    au_delta: float = 2.5
    talk_emotions: tuple[str, ...] = ("happy", "sad", "angry", "surprised")
    talk_level: float = 3.0
    talk_size: int = 256
    judge_stride: int = 5          # judge every n-th frame of talking videos
    max_portraits: int | None = None
    reenact_portraits: int = 3
    edit_emotions: tuple[str, ...] = ("happy", "sad", "angry", "surprised")
    edit_level: float = 3.0
    command_timeout_s: float = 300.0

    @classmethod
    def quick(cls) -> "SuiteConfig":
        return cls(emotions=("happy", "surprised"), levels=(0.0, 3.0), express_size=256, thumb_px=64,
                   aus=(12, 26), talk_emotions=("happy",), max_portraits=1, reenact_portraits=1,
                   edit_emotions=("happy",))


def speaker_units(frames: int) -> int:
    """Progress units of one real-speaker run (two full-frame judge passes dominate)."""
    return 3 * frames


def clip_units(video: Path) -> int:
    from ..io.video import video_info

    return max(1, video_info(video).frame_count // 8)


def progress_units(media: Media, config: SuiteConfig, n_portraits: int, commands: set[str]) -> int:
    """Total progress units of a suite run (what the sections' `step` calls add up to)."""
    from ..io.video import video_info

    n_levels = sum(1 for lv in config.levels if lv != 0)
    units = n_portraits * (1 + len(config.emotions) * n_levels)                  # express
    units += n_portraits * (1 + 2 * len(config.aus))                              # AU edits
    units += n_portraits * len(config.talk_emotions) * W_TALK if media.speech else 0
    units += sum(speaker_units(video_info(v).frame_count) for v in media.talking)
    units += sum(clip_units(v) for v in media.clips + media.talking)
    if "reenact" in commands:
        units += min(len(media.portraits), config.reenact_portraits) * len(media.clips) * W_REENACT
    if "edit" in commands:
        units += len(media.talking) * len(config.edit_emotions) * W_EDIT
    return units


