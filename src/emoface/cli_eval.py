"""The measuring commands of the `emoface` command line (see `cli` for the rest).

    emoface eval video OUT.mp4 [--reference REF.mp4 [--fid-stride N] | --portrait P.png] [--emotion E] [--json F]
    emoface eval suite [--media DIR] -o report/ [--quick]

User errors print one line `emoface: error: ...` and exit with status 2, writing nothing.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from .errors import InputError


def _lag(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"max lag must be a whole number of frames, not '{text}'") from None
    if not 0 <= value <= 250:
        raise argparse.ArgumentTypeError(f"max lag must be between 0 and 250 frames, not {value}")
    return value


def _stride(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the FID stride must be a whole number of frames, not '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"the FID stride must be 0 (no FID) or more, not {value}")
    return value


def _default_media() -> Path:
    """$EMOFACE_MEDIA, else ../shared/media from the current folder, else beside the checkout."""
    env = os.environ.get("EMOFACE_MEDIA")
    if env:
        return Path(env)
    candidates = [Path("..") / "shared" / "media", Path(__file__).resolve().parents[3] / "shared" / "media"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def add_commands(sub, common) -> None:
    """Add `eval` (with `video` and `suite`) to the subcommand parser."""
    p = sub.add_parser("eval", help="measure outputs with independent judges",
                       description="Measure emoface's output with models it does not use itself: "
                                   "fer's emotion CNN, dlib's landmarks and identity embedding, CPBD.")
    inner = p.add_subparsers(dest="eval_command", required=True, metavar="WHAT",
                             parser_class=sub._parser_class)

    v = inner.add_parser("video", parents=[common], help="metrics of one output video",
                         description="Metrics of OUTPUT: always CPBD sharpness and the share of frames "
                                     "with a face; with --reference, lip sync (mouth_r, "
                                     "mouth_lag_frames), M/F-LMD, M/F-LVD, PSNR, SSIM and, with "
                                     "the optional torch extra, FID; with "
                                     "--portrait, identity distance; with --emotion, judge accuracy.")
    v.add_argument("output", type=Path, help="the video to measure (mp4, mov, mkv)")
    ref = v.add_mutually_exclusive_group()
    ref.add_argument("--reference", type=Path, metavar="REF",
                     help="a real talking video of the same speech at the same frame rate")
    ref.add_argument("--portrait", type=Path, metavar="IMAGE", help="the portrait the video was made from")
    v.add_argument("--emotion", help="the emotion the video should show (one of the judge's 7 classes)")
    v.add_argument("--json", type=Path, metavar="FILE", help="also write every metric and curve as JSON")
    v.add_argument("--max-lag", type=_lag, default=10, metavar="N",
                   help="lags searched for mouth_r, frames each way (default 10)")
    v.add_argument("--fid-stride", type=_stride, default=1, metavar="N",
                   help="with --reference: FID over every N-th frame of both videos (default 1; 0 = "
                        "no FID); needs the optional torch extra, else it is skipped with a note")
    v.set_defaults(run=_cmd_video)

    s = inner.add_parser("suite", parents=[common], help="the standard suite -> report folder",
                         description="Render and measure the standard suite (express grid, AU edits, "
                                     "animate with real speakers' audio, reenact, edit) over a media "
                                     "folder; writes report.md, report.json and PNG plots.")
    s.add_argument("--media", type=Path, default=None,
                   help="folder with images/, audio/, video/ (default $EMOFACE_MEDIA or ../shared/media)")
    s.add_argument("-o", "--output", type=Path, required=True, help="report folder (created if missing)")
    s.add_argument("--quick", action="store_true", help="a small suite (1 portrait, 2 emotions, 2 AUs): a few minutes")
    s.set_defaults(run=_cmd_suite)


def _check_json_path(path: Path | None, *inputs: Path | None) -> None:
    from .io.images import check_output_path

    if path is None:
        return
    if path.suffix.lower() != ".json":
        raise InputError(f"--json needs a .json path, not {path}")
    check_output_path(path, tuple(p for p in inputs if p is not None))


def _cmd_video(args: argparse.Namespace) -> None:
    from .evaluate.video import METRIC_DOC, check_inputs, evaluate_video
    from .io.images import atomic_output

    _check_json_path(args.json, args.output, args.reference, args.portrait)
    check_inputs(args.output, args.reference, args.portrait, args.emotion)  # fail before the slow part
    result = evaluate_video(args.output, reference=args.reference, portrait=args.portrait,
                            emotion=args.emotion, max_lag=args.max_lag, fid_stride=args.fid_stride,
                            progress=True)
    data = result.to_json()
    for name, value in result.metrics.items():
        if value is None:
            continue
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"{name:26s} {shown:>10s}   {METRIC_DOC[name]}")
    for note in result.notes:
        print(f"note: {note}")
    if args.json is not None:
        with atomic_output(args.json) as tmp:
            tmp.write_text(json.dumps(data, indent=1, allow_nan=False))


def _cmd_suite(args: argparse.Namespace) -> None:
    from .evaluate.config import SuiteConfig
    from .evaluate.suite import run_suite

    media = args.media or _default_media()
    config = SuiteConfig.quick() if args.quick else SuiteConfig()
    results = run_suite(media, args.output, config, progress=True)
    print(f"wrote {args.output / 'report.md'} ({results['meta']['wall_s']:.0f} s); "
          + ", ".join(f"{k}: {v.get('status')}" for k, v in results.items() if k != "meta"))
