"""Folded skin triangles per portrait and emotion, with and without `rig.untangle`.

A folded triangle shows in the render as a hard, stair-stepped edge in the skin. For every
portrait in the shared media, every emotion at levels 0, 3 and 5, this counts the judged face
triangles (`rig.untangle.folded`) that turn over or collapse, with the fold repair off and on,
and the rig's time per frame both ways (median, side by side).

    .venv/bin/python bench/folds.py [--media ../shared/media] [--levels 0 3 5]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path(__file__).parents[2] / "shared" / "media")
    parser.add_argument("--levels", type=float, nargs="+", default=[0.0, 3.0, 5.0])
    args = parser.parse_args()

    import emoface.rig.deform as rig
    from emoface.pipeline import expression_params, prepare
    from emoface.rig.untangle import folded
    from emoface.vocab import EMOTIONS

    images = sorted(p for p in (args.media / "images").iterdir() if p.suffix.lower() in (".jpg", ".png"))
    totals = {(u, lv): 0 for u in (False, True) for lv in args.levels}
    times = {False: [], True: []}
    print(f"{'portrait':28s} {'level':>5s} {'folds off':>9s} {'on':>4s}  worst emotions (off -> on)")
    for path in images:
        prepared = prepare(path)
        src = prepared.analysis.landmarks_px
        for level in args.levels:
            counts = {}
            for emotion in EMOTIONS:
                params = expression_params(prepared, emotion, level)
                for untangle in (False, True):
                    rig.UNTANGLE = untangle
                    start = time.perf_counter()
                    landmarks = rig.deform(prepared.analysis, params, prepared.fit)
                    times[untangle].append(time.perf_counter() - start)
                    counts[emotion, untangle] = int(folded(src, landmarks).sum())
            off = sum(counts[e, False] for e in EMOTIONS)
            on = sum(counts[e, True] for e in EMOTIONS)
            totals[False, level] += off
            totals[True, level] += on
            worst = sorted(EMOTIONS, key=lambda e: -counts[e, False])[:3]
            print(f"{path.name[:28]:28s} {level:5.1f} {off:9d} {on:4d}  "
                  + ", ".join(f"{e} {counts[e, False]}->{counts[e, True]}" for e in worst))
    rig.UNTANGLE = True
    print("\ntotal folded triangles over portraits x 8 emotions:")
    for level in args.levels:
        print(f"  level {level:g}: {totals[False, level]} without untangle, {totals[True, level]} with")
    off_ms, on_ms = (1000 * statistics.median(times[u]) for u in (False, True))
    print(f"rig time per frame (median): {off_ms:.2f} ms without, {on_ms:.2f} ms with ({on_ms / off_ms:.2f}x)")


if __name__ == "__main__":
    main()
