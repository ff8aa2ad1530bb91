"""Lip sync against real speakers (issue 3's target: mean Pearson r >= 0.6, best lag within ±1).

For each talking video with sound in the shared media folder: its first frame is the portrait,
its own sound the speech. `emoface.animate` renders the talking head at the video's frame rate
and size; dlib's 68 landmarks (a judge independent of the MediaPipe pipeline) measure the mouth
opening per frame (inner-lip gap / inter-ocular distance) in both videos, and we report the
Pearson r at the best lag in -1..+1 frames. For scale, the audio's loudness envelope alone is
scored the same way. Plots of both curves go to --out.

    .venv/bin/python bench/lipsync.py [--media ../shared/media] [--out out/lipsync] [--json r.json] [--seeds 0]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MAX_LAG = 1


def mouth_curve(frames) -> np.ndarray:
    """[T] dlib mouth opening per frame (NaN where dlib finds no face); see emoface.evaluate."""
    from emoface.evaluate.judging import judge_frames
    from emoface.evaluate.metrics import mouth_curve as curve_from_landmarks

    return curve_from_landmarks(judge_frames(frames, 25.0, cpbd_stride=0).landmarks)


def best_r(real: np.ndarray, ours: np.ndarray) -> tuple[float, int]:
    """(r, lag) at the best lag within +-MAX_LAG frames; lag > 0 = ours is late."""
    from emoface.evaluate.metrics import best_lag

    return best_lag(real, ours, MAX_LAG)


def loudness_curve(audio, n: int, fps: float) -> np.ndarray:
    from emoface.drive.prosody import loudness_db, sample_envelope

    env = loudness_db(audio)
    return sample_envelope(env, (np.arange(n) + 0.5) / fps).astype(np.float64)


def plot(path: Path, name: str, real, ours, loud, r, lag):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.arange(len(real)) / 25.0
    fig, ax = plt.subplots(figsize=(10, 3))
    z = lambda x: (x - np.nanmean(x)) / (np.nanstd(x) + 1e-9)  # noqa: E731
    ax.plot(t, z(real), label="real speaker (dlib)", color="k")
    ax.plot(t[: len(ours)], z(ours), label=f"emoface (dlib), r={r:.2f} lag {lag:+d}", color="tab:red")
    ax.plot(t, z(loud), label="loudness", color="tab:blue", alpha=0.35)
    ax.set_xlabel("s"), ax.set_ylabel("mouth opening (z-score)"), ax.set_title(name)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    ap.add_argument("--out", type=Path, default=REPO / "out" / "lipsync")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                    help="head-motion seeds; each clip's r is their median (dlib's fit of a rendered "
                         "mouth shifts with imperceptible pixel changes: one seed's r moves by ~0.05, "
                         "e.g. AOC 0.52-0.56 over seeds 0-2). --seeds 0 runs one (3x faster)")
    args = ap.parse_args(argv)

    from emoface.evaluate.talking import animate_first_frame
    from emoface.io.audio import load_audio
    from emoface.io.video import read_video, video_info

    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    videos = [v for v in sorted((args.media / "video").glob("*.mp4")) if video_info(v).has_audio]
    if not videos:
        print(f"no talking videos with sound under {args.media / 'video'}", file=sys.stderr)
        return 1
    for video in videos:
        info = video_info(video)
        real = mouth_curve(list(read_video(video)))
        runs = []
        for seed in args.seeds:
            ours_path = args.out / f"{video.stem}_emoface{'' if seed == args.seeds[0] else f'_seed{seed}'}.mp4"
            with tempfile.TemporaryDirectory() as tmp:
                anim = animate_first_frame(video, Path(tmp) / "first_frame.png", ours_path, seed)
            ours = mouth_curve(read_video(ours_path))
            runs.append((*best_r(real, ours), ours))
        r, lag, ours = sorted(runs, key=lambda run: run[0])[len(runs) // 2]   # the median run
        loud = loudness_curve(load_audio(video), len(real), info.fps)
        r_loud, lag_loud = best_r(real, loud)
        plot(args.out / f"{video.stem}.png", video.stem, real, ours, loud, r, lag)
        results[video.stem] = {"r": r, "lag": lag, "r_per_seed": {s: run[0] for s, run in zip(args.seeds, runs)},
                               "loudness_r": r_loud, "loudness_lag": lag_loud,
                               "frames_real": len(real), "frames_ours": len(ours),
                               "method": anim.method}
        seeds = "" if len(runs) == 1 else "  seeds " + " ".join(f"{run[0]:.2f}" for run in runs)
        print(f"{video.stem:28s} r={r:5.2f} (lag {lag:+d})   loudness r={r_loud:5.2f} (lag {lag_loud:+d})"
              f"   {anim.method}, {len(ours)}/{len(real)} frames{seeds}")
    mean_r = float(np.mean([v["r"] for v in results.values()]))
    mean_loud = float(np.mean([v["loudness_r"] for v in results.values()]))
    print(f"{'mean':28s} r={mean_r:5.2f}             loudness r={mean_loud:5.2f}   (target r >= 0.6)")
    print(f"plots and videos: {args.out}")
    if args.json:
        args.json.write_text(json.dumps({"clips": results, "mean_r": mean_r, "mean_loudness_r": mean_loud}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
