"""Renderer speed: frames/s at 256² and 512², analysis once, then N renders with varying AUs.

Prints the median of several runs (and min/max) per size, and the share spent in the rig
(deform) vs the renderer (warp + mouth). Then the renderer alone through `render.frames`, on one
thread and on one thread per core, alternating run by run, with the median ratio. Uses
scikit-image's astronaut photo, so it needs no user files.

    .venv/bin/python bench/render_speed.py [--frames 200] [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def varying_params(n: int, seed: int = 0):
    """n RigParams with smoothly varying random AUs, mouth controls and head pose."""
    from emoface.types import RigParams
    from emoface.vocab import AU_IDS, MOUTH_CONTROLS

    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4 * np.pi, n)[:, None]
    phases = rng.uniform(0, 2 * np.pi, (1, len(AU_IDS)))
    au = (2.0 + 2.0 * np.sin(t + phases)).astype(np.float32)           # [n, 17], 0..4
    mouth = (0.5 + 0.5 * np.sin(2 * t + rng.uniform(0, 6, (1, len(MOUTH_CONTROLS))))).astype(np.float32)
    pose = (0.08 * np.sin(t * 0.7 + rng.uniform(0, 6, (1, 3)))).astype(np.float32)
    return [RigParams(au_delta=np.repeat(au[i][:, None], 2, 1), mouth=mouth[i], head_rotation=pose[i])
            for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    args = parser.parse_args()

    import skimage.data

    from emoface.pipeline import prepare
    from emoface.render.compose import render_frame
    from emoface.render.frames import default_threads, render_frames
    from emoface.rig.deform import deform

    params = varying_params(args.frames)
    threaded = {}
    print(f"renderer speed, {args.frames} frames per run, median of {args.runs} runs")
    print(f"{'size':>6} {'frames/s':>9} {'min':>7} {'max':>7} {'rig ms':>7} {'render ms':>9}")
    for size in args.sizes:
        prepared = prepare(skimage.data.astronaut(), size=size)
        render_frame(prepared.render_source, prepared.analysis.landmarks_px)  # JIT warm-up
        fps, rig_ms, render_ms = [], [], []
        for _ in range(args.runs):
            t_rig = t_render = 0.0
            start = time.perf_counter()
            for p in params:
                t0 = time.perf_counter()
                landmarks = deform(prepared.analysis, p, prepared.fit)
                t1 = time.perf_counter()
                render_frame(prepared.render_source, landmarks)
                t2 = time.perf_counter()
                t_rig += t1 - t0
                t_render += t2 - t1
            fps.append(len(params) / (time.perf_counter() - start))
            rig_ms.append(1000 * t_rig / len(params))
            render_ms.append(1000 * t_render / len(params))
        print(f"{size:>5}² {statistics.median(fps):9.1f} {min(fps):7.1f} {max(fps):7.1f} "
              f"{statistics.median(rig_ms):7.2f} {statistics.median(render_ms):9.2f}")
        points = [deform(prepared.analysis, p, prepared.fit) for p in params]
        runs = {1: [], max(2, default_threads()): []}
        for _ in range(args.runs):
            for threads in runs:
                start = time.perf_counter()
                for _frame in render_frames(prepared.render_source, points, threads):
                    pass
                runs[threads].append(len(points) / (time.perf_counter() - start))
        threaded[size] = runs
    print(f"\nrender.frames alone (landmarks precomputed), frames/s, median of {args.runs} alternating runs")
    for size, runs in threaded.items():
        (one, one_fps), (many, many_fps) = runs.items()
        ratios = [b / a for a, b in zip(one_fps, many_fps)]
        print(f"{size:>5}²  {one} thread {statistics.median(one_fps):7.1f}   {many} threads "
              f"{statistics.median(many_fps):7.1f}   ratio {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
