"""The talking-video commands of the `emoface` command line (see `cli` for the rest).

    emoface animate PORTRAIT AUDIO -o out.mp4 [--emotion happy --level 2] [--transcript "..."]
    emoface say PORTRAIT "Hello there" -o out.mp4 [--voice en-us]
    emoface demo -o demo.mp4        # the astronaut speaks and changes emotion (demo.png: a grid)
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .errors import InputError

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")
REFINE_HELP = ("EmoHead refinement: move a single emotion's expression along its hyperplane normal "
               "(control/hyperplanes.py; off by default: bench/refine_ab.py measured no judge gain)")
AUTO = "auto"  # --emotion auto: chosen per sentence (control.auto)


def bounded_number(what: str, low: float, high: float, whole: bool = False, unit: str = ""):
    """An argparse type: a number in [low, high] (an int if `whole`), else a one-line usage error
    naming `what` (and its `unit`, e.g. " px")."""
    def parse(text: str) -> float:
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            kind = f"a whole number of{unit or ' units'}" if whole else "a number"
            raise argparse.ArgumentTypeError(f"{what} must be {kind}, not '{text}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low:g} and {high:g}{unit}, not {text}")
        return value

    return parse


_fps = bounded_number("fps", 1.0, 120.0)
_pose_scale = bounded_number("pose scale", 0.0, 5.0)
parse_transition = bounded_number("transition", 0.0, 10.0)   # --transition of every timeline command
_seed = bounded_number("seed", 0, 2**32 - 1, whole=True)      # numpy's generators take no negative seed
_rate = bounded_number("rate", 80, 450, whole=True, unit=" words per minute")   # drive.tts.RATE_WPM_RANGE


def video_options(size_type) -> argparse.ArgumentParser:
    """Options shared by animate and say."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("-o", "--output", required=True, type=Path, help="output video (.mp4, .mov, .mkv)")
    p.add_argument("--fps", type=_fps, default=25.0, help="frames per second (default 25)")
    p.add_argument("--size", type=size_type, default=512, metavar="N",
                   help="long side of the video in px (default 512)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the head motion, blinks and gaze (default 0)")
    p.add_argument("--pose-scale", type=_pose_scale, default=1.0, metavar="S",
                   help="scale of the head motion (default 1; 0 = no head motion)")
    p.add_argument("--still", action="store_true", help="keep the head and gaze fixed (blinks stay)")
    p.add_argument("--export-curves", type=Path, metavar="JSON",
                   help="also write per-frame blendshapes, AUs and head pose as JSON")
    p.add_argument("--export-les", type=Path, metavar="CSV",
                   help="also write the 41-dim LES vector (LES-Talker eqs. 2-14) per frame as CSV")
    return p


class KeyframeFile(list):
    """The keys [EmotionKey] read from a keyframe file, remembering the file (`path`) so that no
    output may overwrite it."""

    def __init__(self, keys, path: Path):
        super().__init__(keys)
        self.path = path


def emotion_or_timeline(emotion_type, allow_auto: bool = False):
    """An argparse type for --emotion: a name or mixture (via `emotion_type`), an inline
    timeline "0:neutral 1.5:happy@2" or a keyframe file (.json/.csv) -> [EmotionKey], or (with
    allow_auto) "auto" -> AUTO."""
    def parse(text: str):
        from .control.keyframes import is_keyframe_path, load_keyframes
        from .control.timeline import parse_timeline

        if allow_auto and text.strip().lower() == AUTO:
            return AUTO
        try:
            if is_keyframe_path(text):
                return KeyframeFile(load_keyframes(text.strip()), Path(text.strip()))
            if ":" in text:
                return parse_timeline(text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return emotion_type(text)

    return parse


def add_commands(sub, common, aus, emotion_type, level_type, size_type) -> None:
    """Add animate and say to the subcommand parser (demo is shared with the image demo)."""
    video = video_options(size_type)
    emotion = argparse.ArgumentParser(add_help=False)
    emotion.add_argument("--emotion", type=emotion_or_timeline(emotion_type, allow_auto=True), default=None,
                         help="emotion while talking (default: the portrait's own expression); a "
                              "timeline of TIME:EMOTION[@LEVEL] keys, e.g. \"0:neutral 1.5:happy@2 4:sad@1.5\", "
                              "or a keyframe file (.json, .csv); or 'auto': chosen per sentence from "
                              "the words and the voice (-v says what and why)")
    emotion.add_argument("--transition", type=parse_transition, default=0.35,
                         metavar="S", help="seconds each emotion change of a timeline takes, centred on its key (default 0.35)")
    emotion.add_argument("--level", type=level_type, default=None,
                         help="intensity >= 0 (default 2 with --emotion)")
    emotion.add_argument("--refine", action="store_true", help=REFINE_HELP)

    p = sub.add_parser("animate", parents=[common, video, emotion, aus], help="talking video from a portrait and speech",
                       description="Animate PORTRAIT speaking AUDIO (wav, mp3, flac, m4a, ogg, or a video's sound).")
    p.add_argument("portrait", type=Path, help="portrait image")
    p.add_argument("audio", type=Path, help="speech audio (or a video file with sound)")
    p.add_argument("--transcript", help="what is said (improves lip sync; default: transcribed with Whisper tiny.en)")
    p.add_argument("--language", default="en",
                   help="language code; anything but 'en' skips English alignment (default en)")
    p.set_defaults(run=_cmd_animate)

    p = sub.add_parser("say", parents=[common, video, emotion, aus], help="speak text with a local voice (espeak-ng)",
                       description="PORTRAIT says TEXT with espeak-ng, lips timed to its exact phonemes.")
    p.add_argument("portrait", type=Path, help="portrait image")
    p.add_argument("text", help="what to say (up to 5000 characters)")
    p.add_argument("--voice", default="en-us", help="espeak-ng voice, e.g. en-us, en-gb, en-us+f3 (default en-us)")
    p.add_argument("--rate", type=_rate, default=160, help="words per minute, 80-450 (default 160)")
    p.set_defaults(run=_cmd_say)


def _check_video_output(path: Path, *inputs: Path) -> None:
    from .io.images import check_output_path

    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"cannot write {path}: a video needs one of {', '.join(VIDEO_SUFFIXES)}")
    check_output_path(path, inputs)


def _emotion_level(args) -> tuple[str | None, float]:
    if isinstance(args.emotion, list) or args.emotion == AUTO:
        if args.level is not None:
            what = "--emotion auto (it chooses levels)" if args.emotion == AUTO else "a timeline"
            raise InputError(f"--level does not apply to {what}; give levels as EMOTION@LEVEL")
        return (AUTO, 0.0) if args.emotion == AUTO else (None, 0.0)
    if args.emotion is None and args.level is not None:
        raise InputError("--level needs --emotion (e.g. --emotion happy --level 2)")
    level = args.level if args.level is not None else (2.0 if args.emotion not in (None, "neutral") else 0.0)
    return args.emotion, level


def _common_kwargs(args) -> dict:
    from .cli import au_dict

    emotion, level = _emotion_level(args)
    check_exports(args)
    timeline = args.emotion if isinstance(args.emotion, list) else None
    return dict(emotion=emotion, level=level, aus=au_dict(args.aus), fps=args.fps, size=args.size,
                timeline=timeline, transition_s=args.transition,
                seed=args.seed, pose_scale=args.pose_scale, still=args.still,
                export_curves=args.export_curves, export_les=args.export_les, progress=True,
                refine=args.refine, lines=args.lines)


OUTPUT_OPTIONS = ("output", "export_curves", "export_les")


def command_inputs(args) -> tuple[Path, ...]:
    """Every file the command reads: its Path arguments other than outputs, and a keyframe file
    given as --emotion."""
    paths = [value for key, value in vars(args).items() if isinstance(value, Path) and key not in OUTPUT_OPTIONS]
    keyframes = getattr(getattr(args, "emotion", None), "path", None)
    return tuple(paths + ([keyframes] if keyframes is not None else []))


def check_exports(args) -> None:
    """--export-curves (.json) and, where the command has it, --export-les (.csv): right
    extension, writable, distinct, and no input file (the portrait, the audio, a keyframe file)."""
    from .io.images import check_output_path

    seen = [args.output.resolve()]
    for option, path, suffix in (("--export-curves", args.export_curves, ".json"),
                                 ("--export-les", getattr(args, "export_les", None), ".csv")):
        if path is None:
            continue
        if path.suffix.lower() != suffix:
            raise InputError(f"{option} needs a {suffix} path, not {path}")
        check_output_path(path, command_inputs(args))
        if path.resolve() in seen:
            raise InputError(f"{option} must name a file of its own, not {path}")
        seen.append(path.resolve())


def _cmd_animate(args: argparse.Namespace) -> None:
    from .animate import animate

    _check_video_output(args.output, args.portrait, args.audio)
    kwargs = _common_kwargs(args)
    animate(args.portrait, args.audio, args.output, transcript=args.transcript,
                     language=args.language, **kwargs)


def _cmd_say(args: argparse.Namespace) -> None:
    from .animate import say

    _check_video_output(args.output, args.portrait)
    kwargs = _common_kwargs(args)
    say(args.portrait, args.text, args.output, voice=args.voice, rate_wpm=args.rate, **kwargs)


def run_video_demo(output: Path) -> None:
    """The built-in talking demo -> output video."""
    from .animate import say
    from .demo import DEMO_LINE, demo_portrait, demo_timeline

    _check_video_output(output)
    say(demo_portrait(), DEMO_LINE, output, timeline=demo_timeline, progress=True)
