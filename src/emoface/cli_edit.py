"""The `emoface edit` command: change the emotion of a talking video, keeping its speech.

    emoface edit talk.mp4 -o angry.mp4 --emotion angry --level 2 [--au 12=+1] [--face-index N] [--size N]
    emoface edit talk.mp4 -o moods.mp4 --emotion "0:neutral 2:happy@3" --transition 0.5
    emoface edit talk.mp4 -o auto.mp4 --emotion auto [--transcript "..."]   # per sentence, from words+voice
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .cli_talk import emotion_or_timeline, parse_transition


def _face_index(text: str) -> int:
    from .analyze.landmarker import MAX_FACES

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"face index must be a whole number, not '{text}'") from None
    if not 0 <= value < MAX_FACES:
        raise argparse.ArgumentTypeError(f"face index must be 0-{MAX_FACES - 1} (faces counted from the left), not {value}")
    return value


def add_commands(sub, common, aus, emotion_type, level_type, size_type) -> None:
    """Add `edit` to the subcommand parser."""
    p = sub.add_parser("edit", parents=[common, aus], help="change the emotion of a talking video",
                       description="Re-render every frame of VIDEO with another emotion, keeping the lips' "
                                   "motion, the head motion, the person and the sound.")
    p.add_argument("video", type=Path, help="talking video (mp4, mov, mkv, webm, ...)")
    p.add_argument("-o", "--output", required=True, type=Path, help="output video (.mp4, .mov, .mkv)")
    p.add_argument("--emotion", type=emotion_or_timeline(emotion_type, allow_auto=True), default=None,
                   help="the new emotion, a mixture such as happy@2+surprised@1, a timeline of "
                        "TIME:EMOTION[@LEVEL] keys (e.g. \"0:neutral 2:happy@3\"), a keyframe file "
                        "(.json, .csv), or 'auto': chosen per sentence from the words and the voice "
                        "(-v says what and why); without it only --au edits apply")
    p.add_argument("--transcript", help="with --emotion auto: what is said (default: transcribed with Whisper tiny.en)")
    p.add_argument("--level", type=level_type, default=None, help="intensity >= 0 (default 2 with --emotion)")
    p.add_argument("--transition", type=parse_transition, default=0.35, metavar="S",
                   help="seconds each emotion change of a timeline takes, centred on its key (default 0.35)")
    p.add_argument("--face-index", type=_face_index, default=None, metavar="N",
                   help="edit the N-th face counted from the left (0 = leftmost, up to 3; default: the largest)")
    p.add_argument("--size", type=size_type, default=None, metavar="N",
                   help="shrink the video's long side to at most N px (default: keep its size)")
    p.set_defaults(run=_cmd_edit)


def _cmd_edit(args: argparse.Namespace) -> None:
    from .cli import au_dict
    from .cli_talk import AUTO, _check_video_output, _emotion_level
    from .edit import edit_video
    from .errors import InputError

    _check_video_output(args.output, args.video)
    emotion, level = _emotion_level(args)
    if args.transcript is not None and args.emotion != AUTO:
        raise InputError("--transcript is only used by --emotion auto (it reads the words)")
    timeline = args.emotion if isinstance(args.emotion, list) else None
    edit_video(args.video, args.output, emotion=emotion, level=level, aus=au_dict(args.aus),
               timeline=timeline, transition_s=args.transition, face_index=args.face_index,
               size=args.size, progress=True, transcript=args.transcript, lines=args.lines)
