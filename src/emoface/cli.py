"""The `emoface` command line.

    emoface express PORTRAIT -o out.png --emotion surprised --level 2.5 [--au 12=+2 ...] [--size N]
    emoface express PORTRAIT -o out.mp4 --emotion "0:neutral 1:happy@3 2.5:sad@2"   # silent video
    emoface grid PORTRAIT -o sheet.png        # 8 emotions x levels 0-4, labelled
    emoface les-plot [a.csv b.csv] -o les.png # LES vectors in 2D (none given: the 8 emotions)
    emoface animate PORTRAIT AUDIO -o out.mp4 [--emotion happy --level 2] [--transcript "..."]
    emoface say PORTRAIT "Hello there" -o out.mp4 [--voice en-us]
    emoface reenact PORTRAIT --expression-from VIDEO [--pose-from VIDEO] [--mouth-from VIDEO | --audio A] -o out.mp4
    emoface edit VIDEO -o out.mp4 --emotion angry --level 2 [--au 12=+1] [--face-index N]   # keeps the speech
    emoface demo [-o demo.mp4|demo.png]       # no user files: scikit-image's astronaut

Every user error (bad file, no face, unknown emotion, ...) prints one line
`emoface: error: ...` on stderr and exits with status 2, leaving no output file behind; outputs
are written atomically and never over an input. `-v` logs what happened on stderr.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import logging
import math
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from . import __version__
from .errors import EmofaceError, InputError
from .vocab import AU_IDS, EMOTIONS

log = logging.getLogger("emoface")

DEMO_EMOTIONS: tuple[str, ...] = ("happy", "sad", "angry", "surprised")
DEMO_LEVELS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0)
MIN_SIZE_PX, MAX_SIZE_PX = 64, 8192  # as emoface.pipeline accepts (not imported: it loads the models' code)

_AU_SPEC = re.compile(r"^(?:au)?(\d+)([lr]?)=(.+)$", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line, `emoface: error: ...`, exit status 2."""

    def error(self, message: str):  # noqa: D401 (argparse API)
        self.exit(2, f"emoface: error: {message} (see '{self.prog} --help')\n")


# --- argument types (raise ArgumentTypeError -> one-line usage error, exit 2) ---------------

def _emotion(text: str) -> str:
    name = text.strip().lower()
    if name in EMOTIONS:
        return name
    close = difflib.get_close_matches(name, EMOTIONS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise argparse.ArgumentTypeError(f"unknown emotion '{text}' (choose from {', '.join(EMOTIONS)}){hint}")


def _finite_float(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a number, not '{text}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{what} must be a finite number, not '{text}'")
    return value


def _level(text: str) -> float:
    value = _finite_float(text, "level")
    if value < 0:
        raise argparse.ArgumentTypeError(f"level must be >= 0 (0 = neutral, 1-3 = MEAD levels, >3 = stronger), not {text}")
    return value


def _non_empty(values: tuple, what: str, example: str) -> tuple:
    if not values:
        raise argparse.ArgumentTypeError(f"give at least one {what}, e.g. {example}")
    return values


def _levels(text: str) -> tuple[float, ...]:
    return _non_empty(tuple(_level(part) for part in text.split(",") if part.strip()), "level", "0,1,2,3")


def _emotion_spec(text: str) -> str:
    """One emotion name, or a mixture such as happy@1.5+surprised@1 (levels after @)."""
    if ":" in text:   # commands with timelines parse them first (cli_talk.emotion_or_timeline)
        raise argparse.ArgumentTypeError(f"this command takes one emotion or a mixture such as "
                                         f"happy@1.5+surprised@1, not a timeline ('{text}')")
    if "+" not in text and "@" not in text:
        return _emotion(text)
    from .control.les import parse_mixture

    for part in text.split("+"):
        _emotion(part.partition("@")[0])          # a close-match hint for misspelt names
    try:
        parse_mixture(text, 0.0)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip().lower().replace(" ", "")


def _emotions(text: str) -> tuple[str, ...]:
    return _non_empty(tuple(_emotion(part) for part in text.split(",") if part.strip()), "emotion", "happy,sad")


def _au_edit(text: str) -> tuple[int | str, float]:
    """'12=+2' -> (12, 2.0); '12L=-1' -> ('12L', -1.0). AU ids from `vocab.AU_IDS`."""
    match = _AU_SPEC.match(text.strip().replace(" ", ""))
    if not match:
        raise argparse.ArgumentTypeError(f"AU edit must look like 12=+2, 4=-1.5 or 12L=1, not '{text}'")
    au, side, delta = int(match[1]), match[2].upper(), match[3]
    if au not in AU_IDS:
        raise argparse.ArgumentTypeError(f"unknown AU {au} in '{text}' (AUs: {', '.join(map(str, AU_IDS))})")
    return (f"{au}{side}" if side else au), _finite_float(delta, f"AU {au}{side} change")


def au_dict(edits: Sequence[tuple[int | str, float]] | None) -> dict[int | str, float] | None:
    """Repeated --au edits -> {au: summed delta}, or None when there are none."""
    if not edits:
        return None
    aus: dict[int | str, float] = {}
    for key, delta in edits:
        aus[key] = aus.get(key, 0.0) + delta
    return aus


# --- parser ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for `emoface` (exposed for documentation and tests)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log what happens (faces found, AU readings, timings) on stderr")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-o", "--output", required=True, type=Path,
                        help="output image (.png, .jpg, .webp); written atomically")
    aus = argparse.ArgumentParser(add_help=False)
    aus.add_argument("--au", dest="aus", action="append", type=_au_edit, metavar="AU=DELTA",
                     help=f"add (+) or remove (-) one Action Unit on the 0-5 scale, e.g. 12=+2, 4=-1.5, "
                          f"12L=1 (subject's left only); repeatable. AUs: {', '.join(map(str, AU_IDS))}")
    # the AU edits plus the renderer's lines switch, for every command that renders a face
    portrait_aus = argparse.ArgumentParser(add_help=False, parents=[aus])
    portrait_aus.add_argument("--no-lines", dest="lines", action="store_false",
                              help="do not shade expression lines (forehead and frown lines, nose "
                                   "wrinkles, nasolabial folds, crow's feet); the face is only warped")

    parser = _Parser(prog="emoface", description="Re-render a portrait with a chosen emotion.")
    parser.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"emoface {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    from .cli_talk import bounded_number, emotion_or_timeline, parse_transition

    _size = bounded_number("size", MIN_SIZE_PX, MAX_SIZE_PX, whole=True, unit=" px")

    p = sub.add_parser("express", parents=[common, output, portrait_aus], help="render one emotion",
                       description="Render PORTRAIT with an emotion at a level, plus single-AU edits; "
                                   "with an emotion timeline and a video output (.mp4), a silent video "
                                   "of the portrait changing emotion.")
    p.add_argument("portrait", type=Path, help="portrait image (any format Pillow reads)")
    p.add_argument("--emotion", type=emotion_or_timeline(_emotion_spec), default=None,
                   help=f"one of {', '.join(EMOTIONS)}, or a mixture such as happy@1.5+surprised@1; "
                        "without it the portrait keeps its own expression and only --au edits apply. "
                        "With -o out.mp4: a timeline \"0:neutral 1:happy@3 2.5:sad@2\" or a keyframe "
                        "file (.json, .csv)")
    p.add_argument("--level", type=_level, default=None,
                   help="intensity >= 0: 0 neutral, 1-3 MEAD's levels, above 3 stronger "
                        "(default 2 with --emotion, else 0)")
    p.add_argument("--size", type=_size, metavar="N", help="long side of the output in px (default: the source's)")
    from .cli_talk import REFINE_HELP

    p.add_argument("--refine", action="store_true", help=REFINE_HELP)
    p.add_argument("--transition", type=parse_transition, default=0.35, metavar="S",
                   help="timeline video: seconds each emotion change takes, centred on its key (default 0.35)")
    p.add_argument("--duration", type=bounded_number("duration", 0.04, 1800.0), default=None, metavar="S",
                   help="timeline video: length in s (default: last key + transition + 1.5 s)")
    p.add_argument("--fps", type=bounded_number("fps", 1.0, 120.0), default=25.0,
                   help="timeline video: frames per second (default 25)")
    p.add_argument("--export-curves", type=Path, metavar="JSON",
                   help="timeline video: also write per-frame blendshapes, AUs and head pose as JSON")
    p.add_argument("--export-les", type=Path, metavar="CSV",
                   help="timeline video: also write the 41-dim LES vector per frame as CSV")
    p.set_defaults(run=_cmd_express)

    p = sub.add_parser("grid", parents=[common, output, portrait_aus], help="contact sheet: emotions x levels",
                       description="Contact sheet of PORTRAIT: emotions (rows) x levels (columns), labelled.")
    p.add_argument("portrait", type=Path, help="portrait image")
    p.add_argument("--emotions", type=_emotions, default=EMOTIONS, metavar="E1,E2,...",
                   help="rows (default: all 8)")
    p.add_argument("--levels", type=_levels, default=(0.0, 1.0, 2.0, 3.0, 4.0), metavar="L1,L2,...",
                   help="columns (default 0,1,2,3,4)")
    p.add_argument("--thumb", type=_size, default=256, metavar="N", help="cell size in px (default 256)")
    p.add_argument("--crop", choices=("face", "full"), default="face",
                   help="crop cells around the face (default) or keep the full frame")
    p.set_defaults(run=_cmd_grid)

    from .cli_talk import add_commands

    add_commands(sub, common, portrait_aus, _emotion_spec, _level, _size)

    from .cli_edit import add_commands as add_edit_commands

    add_edit_commands(sub, common, portrait_aus, _emotion_spec, _level, _size)

    from .cli_reenact import add_commands as add_reenact_commands

    add_reenact_commands(sub, common, portrait_aus, _emotion_spec, _level, _size)

    from .cli_eval import add_commands as add_eval_commands

    add_eval_commands(sub, common)

    from .cli_les import add_commands as add_les_commands

    add_les_commands(sub, common)

    p = sub.add_parser("demo", parents=[common], help="render the built-in demo (no files needed)",
                       description="The built-in demo, from scikit-image's astronaut photo: a video (.mp4) "
                                   "of her speaking a line whose emotion follows the words, or an image "
                                   "(.png, .jpg) contact sheet of a few emotions.")
    p.add_argument("-o", "--output", type=Path, default=Path("demo.mp4"),
                   help="output video (.mp4) or image (.png) (default demo.mp4)")
    p.set_defaults(run=_cmd_demo)
    return parser


# --- commands ----------------------------------------------------------------------------

def _log_face(rgb: np.ndarray) -> None:
    """Verbose only: what the face analysis sees in RGB uint8 [H, W, 3] (faces, size, AU readings)."""
    from .analyze.aus import read_aus
    from .analyze.landmarker import analyze_image

    analysis = analyze_image(rgb)
    log.info("faces found: %d (using the largest, %.0f px wide)", analysis.faces_found, analysis.face_width_px)
    aus = read_aus(analysis.blendshapes)  # [17, 2] intensity 0-5, (left, right)
    active = [f"AU{au}={aus[i].mean():.1f}" + (f" (L {aus[i, 0]:.1f}, R {aus[i, 1]:.1f})"
                                                 if abs(aus[i, 0] - aus[i, 1]) >= 0.3 else "")
              for i, au in enumerate(AU_IDS) if aus[i].max() >= 0.1]
    log.info("AU readings (0-5): %s", ", ".join(active) if active else "all below 0.1 (relaxed face)")


def _check_output(output: Path, *inputs: Path) -> None:
    """Refuse an output before rendering: unknown extension, missing directory, an input's path."""
    from .io.images import check_output_path, image_format

    image_format(output)
    check_output_path(output, inputs=inputs)


def _load_portrait(args: argparse.Namespace) -> np.ndarray:
    """Read args.portrait as RGB uint8 [H, W, 3] and check args.output against it."""
    from .io.images import load_image

    rgb = load_image(args.portrait)
    _check_output(args.output, args.portrait)
    log.info("read %s: %dx%d", args.portrait, rgb.shape[1], rgb.shape[0])
    if args.verbose:
        _log_face(rgb)
    return rgb


def _save(path: Path, rgb: np.ndarray) -> None:
    from .io.images import save_image

    save_image(path, rgb)
    log.info("wrote %s: %dx%d", path, rgb.shape[1], rgb.shape[0])


def _cmd_express(args: argparse.Namespace) -> None:
    from . import express

    if isinstance(args.emotion, list):
        _express_timeline(args)
        return
    if args.export_curves is not None or args.export_les is not None or args.duration is not None:
        raise InputError("--duration, --export-curves and --export-les need an emotion timeline and a "
                         "video output (-o out.mp4 --emotion \"0:neutral 1:happy@2\")")
    if args.emotion is None and args.level is not None:
        raise InputError("--level needs --emotion (e.g. --emotion happy --level 2)")
    from .cli_talk import VIDEO_SUFFIXES

    if args.output.suffix.lower() in VIDEO_SUFFIXES:
        emotion = args.emotion or "neutral"
        held = emotion if "@" in emotion else f"{emotion}@{args.level if args.level is not None else 2:g}"
        raise InputError(f"one emotion makes a still image (-o out.png); for a video give a timeline, "
                         f"e.g. --emotion \"0:{held}\" --duration 3")
    level = args.level if args.level is not None else (2.0 if args.emotion not in (None, "neutral") else 0.0)
    aus = au_dict(args.aus)
    rgb = _load_portrait(args)
    log.info("expressing %s%s", f"{args.emotion} at level {level:g}" if args.emotion else "the portrait as it is",
             f" with AU edits {aus}" if aus else "")
    _save(args.output, express(rgb, emotion=args.emotion, level=level, aus=aus, size=args.size,
                               refine=args.refine, lines=args.lines))


def _express_timeline(args: argparse.Namespace) -> None:
    """express with a timeline: a silent video of the portrait changing emotion."""
    from .cli_talk import VIDEO_SUFFIXES, check_exports
    from .io.images import check_output_path
    from .timeline_video import timeline_video

    if args.output.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"an emotion timeline makes a video: use -o with {', '.join(VIDEO_SUFFIXES)} "
                         f"(e.g. -o out.mp4), not {args.output.name}")
    if args.level is not None:
        raise InputError("--level does not apply to a timeline; give levels as EMOTION@LEVEL")
    check_output_path(args.output, (args.portrait,))
    check_exports(args)
    timeline_video(args.portrait, args.output, args.emotion, aus=au_dict(args.aus), duration_s=args.duration,
                   fps=args.fps, transition_s=args.transition, size=args.size,
                   export_curves=args.export_curves, export_les=args.export_les, progress=True,
                   refine=args.refine, lines=args.lines)


def _cmd_grid(args: argparse.Namespace) -> None:
    from .viz.contact_sheet import expression_grid

    rgb = _load_portrait(args)
    sheet = expression_grid(rgb, emotions=args.emotions, levels=args.levels, aus=au_dict(args.aus),
                            thumb_px=args.thumb, crop=args.crop, title=args.portrait.name, progress=True,
                            lines=args.lines)
    _save(args.output, sheet)


def _cmd_demo(args: argparse.Namespace) -> None:
    import skimage.data

    from .cli_talk import VIDEO_SUFFIXES, run_video_demo
    from .io.images import IMAGE_FORMATS
    from .viz.contact_sheet import expression_grid

    suffix = args.output.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        run_video_demo(args.output)
        return
    if suffix not in IMAGE_FORMATS:
        raise InputError(f"cannot write {args.output}: the demo writes a talking video "
                         f"({', '.join(VIDEO_SUFFIXES)}) or a contact sheet ({', '.join(IMAGE_FORMATS)})")
    _check_output(args.output)
    rgb = skimage.data.astronaut()  # RGB uint8 [512, 512, 3], shipped inside scikit-image
    if args.verbose:
        _log_face(rgb)
    sheet = expression_grid(rgb, emotions=DEMO_EMOTIONS, levels=DEMO_LEVELS,
                            title="emoface demo: scikit-image astronaut", progress=True)
    _save(args.output, sheet)


@contextlib.contextmanager
def _stderr_logging(verbose: bool) -> Iterator[None]:
    """Route the `emoface` logger to stderr for one CLI run (INFO with -v, else warnings only)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("emoface: %(message)s"))
    old_level, old_propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
        log.propagate = old_propagate


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 user error or usage error, 130
    interrupted with Ctrl-C)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help / --version (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    with _stderr_logging(args.verbose), _terminate_as_exception():
        start = time.perf_counter()
        try:
            args.run(args)
        except EmofaceError as exc:
            print(f"emoface: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:   # Ctrl-C: one line, not a traceback; outputs are atomic
            print("\nemoface: interrupted; no partial output was left behind", file=sys.stderr)
            return 130
        except Terminated:          # `kill`: the same clean-up as Ctrl-C
            print("emoface: terminated; no partial output was left behind", file=sys.stderr)
            return 143
        log.info("done in %.2f s", time.perf_counter() - start)
    return 0


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so that atomic outputs delete their temporary file
    as they do on Ctrl-C (a plain SIGTERM would end the process without any clean-up)."""


@contextlib.contextmanager
def _terminate_as_exception():
    """While the command runs, SIGTERM raises `Terminated` (main thread only; elsewhere, and on
    platforms without SIGTERM, nothing changes)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def raise_terminated(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
