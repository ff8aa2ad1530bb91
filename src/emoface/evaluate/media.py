"""The suite's input folder: `../shared/media` or any folder laid out the same way.

    MEDIA/images/*.jpg|png|...   portraits (one face each)
    MEDIA/audio/*.wav|mp3|...    speech clips (en_* are English)
    MEDIA/video/*.mp4|mov|mkv    talking videos with sound (real speakers), and silent clips whose
                                 name says the emotion shown (e.g. mead_W009_happy_256.mp4)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..vocab import EMOTIONS

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".m4a", ".ogg")
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")


@dataclass(frozen=True)
class Media:
    """Files found under a media folder, sorted by name.

    portraits: images; speech: audio clips; talking: videos with sound; clips: videos without
    sound (emotion clips); clip_labels: {clip: the emotion its name contains, or None}.
    """

    root: Path
    portraits: tuple[Path, ...]
    speech: tuple[Path, ...]
    talking: tuple[Path, ...]
    clips: tuple[Path, ...]

    def speech_clip(self) -> Path | None:
        """The clip the talking-emotion runs use: the first English (`en_*`) one, else the first."""
        english = [p for p in self.speech if p.name.lower().startswith("en")]
        return (english or list(self.speech) or [None])[0]


def label_from_name(path: Path) -> str | None:
    """The emotion named in a file name (`mead_W009_happy_256.mp4` -> "happy"), or None."""
    words = path.stem.lower().replace("-", "_").split("_")
    found = [e for e in EMOTIONS if e in words]
    return found[0] if found else None


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def find_media(root: str | os.PathLike) -> Media:
    """Scan `root`; `InputError` if it is not a folder or holds no portrait and no video."""
    from ..io.video import video_info

    root = Path(root)
    if not root.is_dir():
        raise InputError(f"media folder {root} does not exist (expected images/, audio/, video/ inside)")
    portraits = _files(root / "images", IMAGE_SUFFIXES)
    videos = _files(root / "video", VIDEO_SUFFIXES)
    if not portraits and not videos:
        raise InputError(f"media folder {root} has no images/*.jpg|png and no video/*.mp4 to evaluate")
    talking, clips = [], []
    for v in videos:
        (talking if video_info(v).has_audio else clips).append(v)
    return Media(root, tuple(portraits), tuple(_files(root / "audio", AUDIO_SUFFIXES)),
                 tuple(talking), tuple(clips))
