"""The LES command of the `emoface` command line (see `cli` for the rest).

    emoface les-plot a.csv b.csv -o les.png [--method pca|tsne] [--per frame|clip]
    emoface les-plot -o les.png       # no files: the 8 emotions x levels 0-4 from the prototypes

User errors print one line `emoface: error: ...` and exit with status 2, writing nothing.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .errors import InputError

log = logging.getLogger("emoface")

PLOT_SUFFIXES = (".png",)


def add_commands(sub, common) -> None:
    """Add `les-plot` to the subcommand parser."""
    from .cli_talk import bounded_number

    p = sub.add_parser("les-plot", parents=[common], help="draw LES vectors in 2D (the emotion gradient)",
                       description="Draw 41-dim LES vectors in 2D with PCA or t-SNE (as LES-Talker Fig. 9): "
                                   "the frames of clips exported with --export-les, or with no files the "
                                   "8 emotions at levels 0-4 from emoface's emotion prototypes.")
    p.add_argument("clips", nargs="*", type=Path, metavar="LES.csv",
                   help="CSV files written by --export-les (none: the built-in prototypes)")
    p.add_argument("-o", "--output", required=True, type=Path, help="output image (.png)")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca",
                   help="pca (default; straight lines for levels, LES being linear) or tsne")
    p.add_argument("--per", choices=("frame", "clip"), default="frame",
                   help="one point per frame (default) or per clip (its mean vector, as Fig. 9)")
    p.add_argument("--smooth", type=bounded_number("smooth", 0.0, 10.0), default=0.5, metavar="S",
                   help="median filter over S seconds on clip frames, to drop blinks (default 0.5; 0 = off)")
    p.add_argument("--title", default="", help="plot title")
    p.set_defaults(run=_cmd_les_plot)


def _cmd_les_plot(args: argparse.Namespace) -> None:
    from .export.les import load_les
    from .io.images import check_output_path
    from .viz.les_plot import clip_points, draw, embed, prototype_set

    if args.output.suffix.lower() not in PLOT_SUFFIXES:
        raise InputError(f"cannot write {args.output}: les-plot writes a .png")
    check_output_path(args.output, tuple(args.clips))
    if args.clips:
        points = clip_points([load_les(c) for c in args.clips], args.per, args.smooth)
        title = args.title or f"LES vectors of {len(args.clips)} clip(s), {args.method.upper()}"
    else:
        points = prototype_set()
        title = args.title or f"emoface emotion prototypes, levels 0-4, LES vectors by {args.method.upper()}"
    plot = embed(points, args.method)
    draw(plot, args.output, title)
    log.info("wrote %s: %d points (%s)", args.output, len(plot.coords), args.method)
