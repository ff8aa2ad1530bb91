"""Suite sections for features that may not exist yet: `reenact` (issue 4) and `edit` (issue 5).

Each runs the feature through the command line interface its issue specifies, in a child
process, when `emoface` has that command; otherwise it reports "not built yet" at no cost.
"""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .config import W_EDIT, W_REENACT, SuiteConfig
from .media import Media

Step = Callable[..., None]


def cli_commands() -> set[str]:
    """Names of the subcommands the installed `emoface` command line has."""
    import argparse

    from ..cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # argparse has no public accessor for subcommands
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def run_command(argv: list[str], timeout_s: float) -> tuple[bool, str]:
    """Run `python -m emoface ARGV` in a child process -> (ok, last stderr line)."""
    try:
        proc = subprocess.run([sys.executable, "-m", "emoface", *argv], capture_output=True,
                              text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout_s:g} s"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return proc.returncode == 0, (lines[-1] if lines else f"exit status {proc.returncode}")


NOT_BUILT = {"reenact": "emoface has no `reenact` command yet (issue 4)",
             "edit": "emoface has no `edit` command yet (issue 5)"}


def run_reenact(media: Media, config: SuiteConfig, step: Step, work: Path, clips: dict) -> dict:
    """`emoface reenact PORTRAIT --expression-from CLIP`: does the judge's class of the output
    match its class of the clip (issue 4's target: >= 80% of pairs)?"""
    from .judging import judge_video
    from .video import emotion_scores

    if "reenact" not in cli_commands():
        return {"status": "not built yet", "note": NOT_BUILT["reenact"]}
    pairs = {}
    for portrait in media.portraits[: config.reenact_portraits]:
        for clip in media.clips:
            out = work / f"reenact_{portrait.stem}_{clip.stem}.mp4"
            ok, message = run_command(["reenact", str(portrait), "--expression-from", str(clip),
                                       "-o", str(out)], config.command_timeout_s)
            ref_top = clips.get(clip.name, {}).get("judge_top_class")
            if not ok:
                pairs[f"{portrait.name}|{clip.name}"] = {"error": message}
            else:
                j = judge_video(out, frame_stride=config.judge_stride, emotion=True, cpbd_stride=0)
                _, _, top, mean = emotion_scores(j, "neutral")
                pairs[f"{portrait.name}|{clip.name}"] = {"reference_top_class": ref_top,
                                                         "output_top_class": top, "match": top == ref_top}
                out.unlink(missing_ok=True)
            step("reenact", W_REENACT)
    matches = [p["match"] for p in pairs.values() if "match" in p]
    return {"status": "ok", "pairs": pairs,
            "class_match_rate": float(np.mean(matches)) if matches else None, "target": 0.8}


def run_edit(media: Media, config: SuiteConfig, step: Step, work: Path) -> dict:
    """`emoface edit VIDEO --emotion E --level L`: mouth kept (r vs the input, target >= 0.95)
    and emotion changed (judge, target >= 75%), with the edit's speed in frames/s."""
    import time

    from ..io.video import video_info
    from .video import evaluate_video

    if "edit" not in cli_commands():
        return {"status": "not built yet", "note": NOT_BUILT["edit"]}
    runs = {}
    for video in media.talking:
        for emotion in config.edit_emotions:
            out = work / f"edit_{video.stem}_{emotion}.mp4"
            t0 = time.perf_counter()
            ok, message = run_command(["edit", str(video), "-o", str(out), "--emotion", emotion,
                                       "--level", f"{config.edit_level:g}"], config.command_timeout_s)
            seconds = time.perf_counter() - t0
            if not ok:
                runs[f"{video.name}|{emotion}"] = {"error": message}
            else:
                ev = evaluate_video(out, reference=video, emotion=emotion, quality_stride=5,
                                    cpbd_stride=5, identity_samples=4,
                                    judge_max_side=256).to_json()["metrics"]
                runs[f"{video.name}|{emotion}"] = {
                    "mouth_r": ev["mouth_r"], "mouth_lag_frames": ev["mouth_lag_frames"],
                    "judge_accuracy": ev["judge_accuracy"], "judge_top_class": ev["judge_top_class"],
                    "identity_distance": ev["identity_distance"], "ssim": ev["ssim"],
                    "frames_per_s": video_info(video).frame_count / seconds}
                out.unlink(missing_ok=True)
            step("edit", W_EDIT)
    return {"status": "ok", "level": config.edit_level, "runs": runs}
