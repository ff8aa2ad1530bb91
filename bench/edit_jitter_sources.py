#!/usr/bin/env python
"""Where an edit's extra landmark jitter comes from: one clip, one emotion, several variants.

Issue 5's flicker target compares the dlib landmark jitter of the output with the input's
(`edit_targets.jitter`: mean |second time difference| of head-stabilised points, in
inter-ocular units). This script edits one clip under variants that each switch one part of
the edit off, and prints the output/input jitter ratio per dlib point group, so a ratio over
the target can be traced to a part:

  edit        `edit_video` as shipped
  no-lines    without the expression-line shading (`lines=False`, the public option)
  no-eyeball  without the eyeball redraw behind moved lids (`render.eyes.paint_eyes` off)
  steady      the AU residual held at its mean over the clip: no frame-to-frame change of the
              edit at all, so what is left comes from rendering the same change on moving
              frames (and from the detector reading the edited face)

Groups (dlib iBUG 68): jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67, all.

    python bench/edit_jitter_sources.py --video theresa_may_address_5s.mp4 --emotion surprised

The variants that switch internals off patch module attributes for the length of one run;
they are measurement tools, not options of the command.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edit_targets import DEFAULT_MEDIA, TARGET_JITTER_RATIO, jitter  # noqa: E402

from emoface.evaluate.judging import judge_video  # noqa: E402

GROUPS = {"jaw": slice(0, 17), "brows": slice(17, 27), "nose": slice(27, 36), "eyes": slice(36, 48),
          "mouth": slice(48, 68), "all": slice(0, 68)}
VARIANTS = ("edit", "no-lines", "no-eyeball", "steady")


@contextlib.contextmanager
def variant(name: str):
    """Switch one part of the edit off for the `with` block (see the module docstring)."""
    import emoface.edit.frame as frame
    import emoface.edit.run as run

    saved = (frame.paint_eyes, run.residual_aus)
    if name == "no-eyeball":
        frame.paint_eyes = lambda *args, **kwargs: None
    elif name == "steady":
        def held(*args, **kwargs):
            residual = saved[1](*args, **kwargs)
            moving = np.abs(residual).reshape(len(residual), -1).max(1) > 0
            mean = residual[moving].mean(0) if moving.any() else residual[0]
            return np.where(moving[:, None, None], mean, 0.0).astype(np.float32)
        run.residual_aus = held
    try:
        yield
    finally:
        frame.paint_eyes, run.residual_aus = saved


def landmarks(path: Path) -> np.ndarray:
    """[T, 68, 2] dlib landmarks of every frame (NaN where no face): edit_targets' dlib pass
    (the same landmarks, so the same figures) without its emotion CNN, which jitter does not use."""
    return judge_video(path, cpbd_stride=0, identity_stride=0).landmarks


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    ap.add_argument("--video", default="theresa_may_address_5s.mp4", help="file name in MEDIA/video")
    ap.add_argument("--emotion", default="surprised")
    ap.add_argument("--level", type=float, default=3.0)
    ap.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = ap.parse_args(argv)

    from emoface.edit import edit_video

    video = args.media / "video" / args.video
    if not video.is_file():
        print(f"no such video: {video}", file=sys.stderr)
        return 2
    ref = landmarks(video)
    base = {g: jitter(ref, s) for g, s in GROUPS.items()}
    print(f"{args.video}, {args.emotion}@{args.level:g}: dlib landmark jitter, output / input "
          f"(target all <= x{TARGET_JITTER_RATIO})")
    print(f"{'variant':12s}" + "".join(f"{g:>8s}" for g in GROUPS))
    with tempfile.TemporaryDirectory(prefix="emoface-jitter-") as tmp:
        for name in args.variants:
            out = Path(tmp) / f"{name}.mp4"
            with variant(name):
                edit_video(video, out, emotion=args.emotion, level=args.level, lines=name != "no-lines")
            got = landmarks(out)
            print(f"{name:12s}" + "".join(f"{jitter(got, s) / base[g]:8.3f}" for g, s in GROUPS.items()),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
