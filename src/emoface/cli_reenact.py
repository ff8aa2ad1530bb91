"""The `emoface reenact` command (see `cli` for the rest).

    emoface reenact PORTRAIT --expression-from VIDEO [--pose-from VIDEO]
                    [--mouth-from VIDEO | --audio AUDIO] -o out.mp4 [--emotion happy --level 1]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .errors import InputError


def add_commands(sub, common, aus, emotion_type, level_type, size_type) -> None:
    """Add `reenact` to the subcommand parser."""
    from .cli_talk import video_options

    p = sub.add_parser(
        "reenact", parents=[common, video_options(size_type), aus],
        help="drive a portrait's expression, head pose and mouth from other videos",
        description="Drive PORTRAIT from other videos: its expression from one (the changes from that "
                    "person's own calmest frames, not their face shape), its head pose from another "
                    "(or the same), its mouth from a third video or from speech. The output lasts as "
                    "long as the expression video (or the audio); shorter sources loop forwards and "
                    "backwards. Sound: the audio, else the mouth video's sound.")
    p.add_argument("portrait", type=Path, help="portrait image")
    p.add_argument("--expression-from", type=Path, required=True, metavar="VIDEO",
                   help="video whose facial expression the portrait takes")
    p.add_argument("--pose-from", type=Path, metavar="VIDEO",
                   help="video whose head motion the portrait takes (default: the expression video)")
    mouth = p.add_mutually_exclusive_group()
    mouth.add_argument("--mouth-from", type=Path, metavar="VIDEO",
                       help="video whose mouth (jaw, lip shapes) the portrait takes (default: the "
                            "expression video)")
    mouth.add_argument("--audio", type=Path, metavar="AUDIO",
                       help="speech that moves the lips instead (as in `animate`); it sets the "
                            "output's sound and length")
    p.add_argument("--transcript", help="with --audio: what is said (default: transcribed with Whisper tiny.en)")
    p.add_argument("--language", default="en", help="with --audio: language code (default en)")
    p.add_argument("--emotion", type=emotion_type, default=None,
                   help="an emotion (or mixture such as happy@1.5+surprised@1) added on top of the "
                        "transferred expression")
    p.add_argument("--level", type=level_type, default=None, help="its intensity >= 0 (default 2 with --emotion)")
    p.set_defaults(run=_cmd_reenact)


def _cmd_reenact(args: argparse.Namespace) -> None:
    from .cli import au_dict
    from .cli_talk import _check_video_output, _emotion_level, check_exports
    from .reenactment import reenact

    _check_video_output(args.output)
    emotion, level = _emotion_level(args)
    if args.audio is None and (args.transcript is not None or args.language != "en"):
        raise InputError("--transcript and --language apply to --audio only")
    check_exports(args)
    reenact(args.portrait, args.expression_from, args.output, pose_from=args.pose_from,
            mouth_from=args.mouth_from, audio=args.audio, transcript=args.transcript,
            language=args.language, emotion=emotion, level=level, aus=au_dict(args.aus),
            fps=args.fps, size=args.size, seed=args.seed, pose_scale=args.pose_scale,
            still=args.still, export_curves=args.export_curves,
            export_les=getattr(args, "export_les", None), progress=True, lines=args.lines)
