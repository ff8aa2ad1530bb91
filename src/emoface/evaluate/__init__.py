"""evaluate: measuring instruments for emoface's output (`emoface eval video|suite`, issue 6).

Headline numbers come from judges the generator does not use (DESIGN.md "Judging our own
output"): fer's emotion CNN, dlib's 68 landmarks and identity embedding, and CPBD sharpness.

    metrics   pure metric functions: mouth_r at the best lag, M/F-LMD, M/F-LVD, PSNR, SSIM
    cpbd      CPBD sharpness (Narvekar & Karam 2011), vectorised + a per-pixel reference
    judging   one pass of the judges over a video -> `VideoJudgement`
    video     `evaluate_video`: every metric of one output (what `eval video` prints)
    media     the suite's input folder layout
    config    `SuiteConfig` (what the suite renders) and progress units
    stills    suite sections: express grid, single-AU edits
    talking   suite sections: animate with emotions, real speakers, the judges on real clips
    pending   suite sections for reenact / edit: run when the commands exist, else "not built yet"
    suite     `run_suite`: runs the sections, writes the report
    report, plots   report.md / report.json / PNGs

Nothing heavy is imported here; models load on first use.
"""
from __future__ import annotations

__all__ = ["evaluate_video", "run_suite"]


def evaluate_video(*args, **kwargs):
    """See `emoface.evaluate.video.evaluate_video`."""
    from .video import evaluate_video as _evaluate_video

    return _evaluate_video(*args, **kwargs)


def run_suite(*args, **kwargs):
    """See `emoface.evaluate.suite.run_suite`."""
    from .suite import run_suite as _run_suite

    return _run_suite(*args, **kwargs)

