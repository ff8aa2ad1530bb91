"""LES vectors drawn in 2D (PCA or t-SNE), like LES-Talker's Fig. 9: the emotion gradient.

Every point is one 41-dim LES vector (`control.les_vector`): a frame of a clip exported with
`--export-les` (or a clip's mean with per="clip"), or, with no clips, the injector's pure
emotions at levels 0-4 (`prototype_set`). Colour = emotion, lightness = level (pale near 0,
full at 4 and above), marker = clip. All points are embedded together.

Clip frames are median-filtered over `smooth_s` seconds first (default 0.5 s): a blink puts
AU45 = 5 on one to three frames, and lips closing on b/p/m briefly zero AU10/25/26; those
frames would otherwise be outliers that PCA spends a component on.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..control.les_vector import prototype_vector
from ..errors import InputError
from ..vocab import EMOTIONS

METHODS = ("pca", "tsne")
PROTOTYPE_LEVELS = tuple(np.round(np.arange(0.0, 4.0001, 0.1), 2))
TSNE_MAX_POINTS = 3000     # more are subsampled evenly (t-SNE is O(N^2) memory here)
EMOTION_COLOURS = {        # colour-blind-safe Okabe-Ito palette, grey for neutral
    "neutral": "#7f7f7f", "angry": "#d55e00", "contempt": "#cc79a7", "disgusted": "#009e73",
    "fear": "#56b4e9", "happy": "#e69f00", "sad": "#0072b2", "surprised": "#000000",
}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


@dataclass(frozen=True)
class LesPoints:
    """Points to embed. vectors: [N, 41]; emotions, sources: N names; levels: [N]."""

    vectors: np.ndarray
    emotions: tuple[str, ...]
    levels: np.ndarray
    sources: tuple[str, ...]


@dataclass(frozen=True)
class LesPlot:
    """An embedding. coords: [N, 2] in the method's units; explained: PCA's explained variance
    ratio of the two axes (None for t-SNE); the rest as in LesPoints."""

    coords: np.ndarray
    emotions: tuple[str, ...]
    levels: np.ndarray
    sources: tuple[str, ...]
    method: str
    explained: tuple[float, float] | None


def prototype_set(levels=PROTOTYPE_LEVELS, emotions=EMOTIONS) -> LesPoints:
    """The injector's pure emotions on a relaxed face: one neutral point (every emotion's
    level 0 is the same neutral face), then each other emotion at every level > 0."""
    vectors, names, lv = [prototype_vector("neutral", 0.0)], ["neutral"], [0.0]
    for emotion in emotions:
        for level in levels:
            if emotion == "neutral" or level <= 0:
                continue
            vectors.append(prototype_vector(emotion, float(level)))
            names.append(emotion)
            lv.append(float(level))
    return LesPoints(np.stack(vectors), tuple(names), np.array(lv), ("prototypes",) * len(names))


def clip_points(clips, per: str = "frame", smooth_s: float = 0.5) -> LesPoints:
    """export.les.LesClip list -> points: every frame (median-filtered over smooth_s), or one
    mean vector per clip (per="clip", labelled with the clip's commonest emotion)."""
    from scipy.ndimage import median_filter

    if per not in ("frame", "clip"):
        raise InputError(f"per must be 'frame' or 'clip', not {per!r}")
    vectors, names, levels, sources = [], [], [], []
    for clip in clips:
        v = clip.vectors
        if smooth_s > 0 and len(v) > 2:
            dt = float(np.median(np.diff(clip.time_s))) if len(clip.time_s) > 1 else 0.04
            width = max(1, int(round(smooth_s / max(dt, 1e-3))))
            width += 1 - width % 2
            v = median_filter(v, size=(width, 1), mode="nearest")
        if per == "clip":
            top = Counter(clip.emotions).most_common(1)[0][0]
            vectors.append(v.mean(0))
            names.append(top)
            levels.append(float(np.mean([lv for e, lv in zip(clip.emotions, clip.levels) if e == top])))
            sources.append(clip.name)
        else:
            vectors.extend(v)
            names.extend(clip.emotions)
            levels.extend(clip.levels)
            sources.extend([clip.name] * len(v))
    if not vectors:
        raise InputError("no LES vectors to plot")
    return LesPoints(np.asarray(vectors, np.float64), tuple(names), np.asarray(levels, np.float64), tuple(sources))


def embed(points: LesPoints, method: str = "pca", seed: int = 0) -> LesPlot:
    """LesPoints -> LesPlot with 2D coordinates by PCA (deterministic; LES is linear, so
    levels of one emotion lie on a line) or t-SNE (perplexity min(30, (N-1)/3), PCA init)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    x = np.asarray(points.vectors, np.float64)
    keep = np.arange(len(x))
    if method == "tsne" and len(x) > TSNE_MAX_POINTS:
        keep = np.linspace(0, len(x) - 1, TSNE_MAX_POINTS).round().astype(int)
    x = x[keep]
    least = 2 if method == "pca" else 4
    if len(x) < least:
        raise InputError(f"{method} needs at least {least} LES vectors, got {len(x)}")
    explained = None
    if method == "pca":
        pca = PCA(n_components=2, svd_solver="full").fit(x)
        coords = pca.transform(x)
        explained = (float(pca.explained_variance_ratio_[0]), float(pca.explained_variance_ratio_[1]))
    else:
        perplexity = float(min(30.0, max(1.0, (len(x) - 1) / 3)))
        coords = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    return LesPlot(coords, tuple(points.emotions[i] for i in keep), points.levels[keep],
                   tuple(points.sources[i] for i in keep), method, explained)


def _pyplot():
    from .pyplot import pyplot

    return pyplot("les-plot needs")


def _shade(hex_colour: str, level: float) -> tuple[float, float, float]:
    """Emotion colour mixed with white: pale at level 0, full from level 4."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    t = 0.2 + 0.8 * min(max(level, 0.0) / 4.0, 1.0)
    return tuple(1 - t * (1 - rgb))


def draw(plot: LesPlot, path, title: str = "") -> Path:
    """Scatter the embedding into a PNG at `path` (written atomically)."""
    from ..io.images import atomic_output

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 7))
    sources = list(dict.fromkeys(plot.sources))
    order = np.argsort(plot.levels, kind="stable")  # strong levels drawn on top
    for s, source in enumerate(sources):
        idx = [i for i in order if plot.sources[i] == source]
        ax.scatter(plot.coords[idx, 0], plot.coords[idx, 1], s=28, marker=MARKERS[s % len(MARKERS)],
                   c=[_shade(EMOTION_COLOURS.get(plot.emotions[i], "#7f7f7f"), plot.levels[i]) for i in idx],
                   edgecolors="none")
    present = [e for e in EMOTIONS if e in plot.emotions]
    for emotion in present:  # name each emotion beside its strongest point
        idx = [i for i, e in enumerate(plot.emotions) if e == emotion]
        top = max(idx, key=lambda i: plot.levels[i])
        label = emotion if emotion == "neutral" else f"{emotion} {plot.levels[top]:.3g}"
        ax.annotate(label, plot.coords[top], fontsize=9,
                    color=EMOTION_COLOURS[emotion], xytext=(4, 4), textcoords="offset points")
    handles = [plt.Line2D([], [], ls="", marker="o", color=EMOTION_COLOURS[e], label=e) for e in present]
    legend = ax.legend(handles=handles, title="emotion (pale = level 0, full = 4)", fontsize=8,
                       title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if len(sources) > 1:
        ax.add_artist(legend)
        clips = [plt.Line2D([], [], ls="", marker=MARKERS[s % len(MARKERS)], color="#444444", label=source)
                 for s, source in enumerate(sources)]
        ax.legend(handles=clips, title="clip", fontsize=8, title_fontsize=8, loc="lower left",
                  bbox_to_anchor=(1.01, 0.0))
    if plot.method == "pca":
        ax.set_xlabel(f"PC 1 ({100 * plot.explained[0]:.0f}% of variance)")
        ax.set_ylabel(f"PC 2 ({100 * plot.explained[1]:.0f}% of variance)")
    else:
        ax.set_xlabel("t-SNE 1")
        ax.set_ylabel("t-SNE 2")
    ax.set_title(title or f"LES vectors (41-dim) by {plot.method.upper()}", fontsize=11)
    ax.grid(alpha=0.25)
    fig.tight_layout()
    fig.subplots_adjust(right=0.76)  # room for the legends beside the axes
    out = Path(path)
    with atomic_output(out) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return out
