"""PNG plots for the suite report (matplotlib, Agg backend; matplotlib is in the dev extra).

Each function takes the JSON-ready section dict that `evaluate.sections` produced and a path,
writes one PNG and returns the path (or None when there is nothing to draw).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    from ..viz.pyplot import pyplot

    return pyplot("the suite's plots need")


def express_accuracy(section: dict, path: Path) -> Path | None:
    """Grouped bars: fer judge accuracy per emotion, one bar per level > 0."""
    summary = {k: v for k, v in section.get("summary", {}).items() if "target_probability" in v}
    if not summary:
        return None
    plt = _pyplot()
    emotions = list(summary)
    levels = [lv for lv in next(iter(summary.values()))["accuracy"] if float(lv) > 0]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / max(1, len(levels))
    for i, lv in enumerate(levels):
        vals = [summary[e]["accuracy"][lv] or 0.0 for e in emotions]
        ax.bar(np.arange(len(emotions)) + (i - (len(levels) - 1) / 2) * width, vals, width,
               label=f"level {lv}")
    ax.set_xticks(np.arange(len(emotions)), emotions)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("judge accuracy (fer top-1)")
    ax.set_title("express: share of portraits the judge reads as the target emotion")
    ax.legend(fontsize=8, ncol=len(levels))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def express_probability(section: dict, path: Path) -> Path | None:
    """Small multiples: judge probability of the target against level, a thin line per
    portrait and the mean in bold."""
    portraits = {k: v for k, v in section.get("portraits", {}).items() if "emotions" in v}
    if not portraits:
        return None
    plt = _pyplot()
    emotions = list(next(iter(portraits.values()))["emotions"])
    cols = min(4, len(emotions))
    rows = int(np.ceil(len(emotions) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.6 * rows), squeeze=False, sharey=True)
    for ax, emotion in zip(axes.flat, emotions):
        curves = []
        for name, p in portraits.items():
            judged = p["emotions"][emotion]["judge"]
            levels = [float(lv) for lv in judged]
            probs = [j[emotion] if j else np.nan for j in judged.values()]
            curves.append(probs)
            ax.plot(levels, probs, color="0.6", lw=0.8)
        ax.plot(levels, np.nanmean(curves, axis=0), color="tab:red", lw=2.2, label="mean")
        ax.set_title(emotion, fontsize=10)
        ax.set_ylim(0, 1)
        ax.set_xlabel("level")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("p(target)")
    for ax in list(axes.flat)[len(emotions):]:
        ax.axis("off")
    fig.suptitle("express: fer probability of the target emotion vs level (grey: each portrait)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def mouth_traces(name: str, run: dict, path: Path) -> Path | None:
    """Mouth opening per frame (dlib), real speaker vs emoface, in seconds."""
    ref, out = run.get("mouth_reference"), run.get("mouth_output")
    if not ref or not out:
        return None
    plt = _pyplot()
    fps = run.get("fps") or 25.0
    m = run["metrics"]
    ref = np.array([np.nan if v is None else v for v in ref], float)
    out = np.array([np.nan if v is None else v for v in out], float)
    fig, ax = plt.subplots(figsize=(10, 3))
    ax.plot(np.arange(len(ref)) / fps, ref, color="k", lw=1.2, label="real speaker")
    r = m.get("mouth_r")
    lag = m.get("mouth_lag_frames")
    label = "emoface" + (f" (r = {r:.2f} at lag {lag:+d} frames)" if r is not None else "")
    ax.plot(np.arange(len(out)) / fps, out, color="tab:red", lw=1.2, label=label)
    ax.set_xlabel("s")
    ax.set_ylabel("mouth opening\n(lip gap / eye distance)")
    ax.set_title(f"{name}: mouth opening, dlib 68-point landmarks")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def au_edit_matrix(section: dict, path: Path) -> Path | None:
    """Two heatmaps (+delta, -delta): mean change of every re-read AU (columns) when one AU
    (rows) is edited. A clean edit is a red (+) or blue (-) diagonal."""
    portraits = section.get("portraits") or {}
    if not portraits:
        return None
    plt = _pyplot()
    order = [str(a) for a in section["au_order"]]
    edited = [a for a in order if any(a in p for p in portraits.values())]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.34 * len(edited) + 2.2))
    for ax, name, sign in zip(axes, ("plus", "minus"), ("+", "-")):
        mat = np.full((len(edited), len(order)), np.nan)
        for i, au in enumerate(edited):
            vecs = [p[au][name] for p in portraits.values() if au in p and p[au].get(name) is not None]
            if vecs:
                mat[i] = np.mean(vecs, axis=0)
        lim = max(1.0, float(np.nanmax(np.abs(mat))) if np.isfinite(mat).any() else 1.0)
        im = ax.imshow(mat, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(len(order)), [f"AU{a}" for a in order], rotation=90, fontsize=7)
        ax.set_yticks(range(len(edited)), [f"AU{a} {sign}{section['delta']:g}" for a in edited], fontsize=7)
        ax.set_xlabel("re-read AU (change from the unedited render)")
        ax.set_title(f"edit {sign}{section['delta']:g}")
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle("AU edits, re-read by the pipeline's MediaPipe analysis (mean over portraits)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def talking_accuracy(section: dict, path: Path) -> Path | None:
    """Bars: judge accuracy and mean target probability per emotion on talking videos."""
    summary = section.get("summary") or {}
    if not summary:
        return None
    plt = _pyplot()
    emotions = list(summary)
    x = np.arange(len(emotions))
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.bar(x - 0.2, [summary[e]["accuracy"] or 0 for e in emotions], 0.4, label="frame accuracy")
    ax.bar(x + 0.2, [summary[e]["target_probability"] or 0 for e in emotions], 0.4,
           label="mean p(target)")
    ax.set_xticks(x, emotions)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"animate at level {section.get('level', 0):g}: fer judge on the talking videos")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
