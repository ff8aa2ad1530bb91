"""How much the fold repair snaps the skin from one video frame to the next, per-frame vs smoothed.

`rig.untangle` repairs folded skin one frame at a time, so in a video the repair can switch on
for a bilabial closure and off again on the next frame. `rig.sequence.deform_sequence` (what
`animate` uses) averages each frame's repair over its neighbours. For each talking video with
sound in the shared media (its first frame as the portrait, its own sound as the speech) and
each emotion given, this plans the same performance `animate` would and reports the largest and
the 99th-percentile frame-to-frame jump of the repair (px, any face point), the share of frames
the repair touches, and the rig's time per frame both ways (median of the run). No rendering.

    .venv/bin/python bench/repair_snap.py [--media ../shared/media] [--emotions own neutral angry happy]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path(__file__).parents[2] / "shared" / "media")
    parser.add_argument("--emotions", nargs="+", default=["own", "neutral", "angry", "happy"],
                        help="'own': the portrait's own expression, as bench/lipsync.py animates it")
    parser.add_argument("--level", type=float, default=2.0)
    args = parser.parse_args()

    from emoface.animate import plan_performance
    from emoface.drive.speech import phoneme_track
    from emoface.io.audio import load_audio
    from emoface.io.video import read_video, video_info
    from emoface.pipeline import prepare
    from emoface.rig.deform import finish_deform, fold_repair, move_skin
    from emoface.rig.sequence import deform_sequence

    videos = [v for v in sorted((args.media / "video").glob("*.mp4")) if video_info(v).has_audio]
    print(f"{'clip':26s} {'emotion':9s} {'frames':>6s} {'repaired':>8s}  {'max jump px':>17s}  {'p99 jump px':>17s}"
          f"  {'rig ms/frame':>13s}")
    print(f"{'':26s} {'':9s} {'':6s} {'':8s}  {'per-frame':>9s} {'smooth':>7s}  {'per-frame':>9s} {'smooth':>7s}"
          f"  {'per-frame':>9s} {'smooth':>3s}")
    for video in videos:
        info = video_info(video)
        prepared = prepare(next(iter(read_video(video))))
        speech = load_audio(video)
        phonemes = phoneme_track(speech)
        for emotion in args.emotions:
            level = 0.0 if emotion in ("own", "neutral") else args.level
            performance = plan_performance(prepared, phonemes, speech, info.fps, None if emotion == "own" else emotion,
                                           level, None,
                                           seed=0, pose_scale=1.0, still=False)
            params = list(performance.rig_params(prepared.source_aus))
            t0 = time.perf_counter()
            skins = [move_skin(prepared.analysis, p, prepared.fit) for p in params]
            repairs = np.stack([fold_repair(prepared.analysis, s) for s in skins])
            per_frame = np.stack([finish_deform(prepared.analysis, p, prepared.fit, s, r)
                                  for p, s, r in zip(params, skins, repairs)])
            t1 = time.perf_counter()
            smooth = np.stack(list(deform_sequence(prepared.analysis, params, prepared.fit, info.fps)))
            t2 = time.perf_counter()
            raw = per_frame.copy()
            raw[:, : repairs.shape[1], :2] -= repairs
            jumps = {}
            for name, points in (("per-frame", per_frame), ("smooth", smooth)):
                jumps[name] = np.abs(np.diff(points - raw, axis=0)).max(axis=(1, 2))
            touched = float((np.abs(repairs).max(axis=(1, 2)) > 0.05).mean())
            n = len(params)
            print(f"{video.stem[:26]:26s} {emotion:9s} {n:6d} {touched:8.0%}  "
                  f"{jumps['per-frame'].max():9.2f} {jumps['smooth'].max():7.2f}  "
                  f"{np.percentile(jumps['per-frame'], 99):9.2f} {np.percentile(jumps['smooth'], 99):7.2f}  "
                  f"{1e3 * (t1 - t0) / n:9.2f} {1e3 * (t2 - t1) / n:5.2f}")


if __name__ == "__main__":
    main()
