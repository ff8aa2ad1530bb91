"""`emoface les-plot`: LES vectors in 2D. Emotions form separate clusters, levels a gradient
away from neutral; clips exported with --export-les plot the same way."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from emoface.control.les import target_aus
from emoface.control.timeline import parse_timeline, timeline_aus
from emoface.export.les import les_clip, load_les, save_les
from emoface.viz.les_plot import clip_points, embed, prototype_set

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def prototypes_pca():
    return embed(prototype_set(), "pca")


def test_builtin_emotions_form_separate_clusters(prototypes_pca):
    plot = prototypes_pca
    emotions, levels, xy = np.array(plot.emotions), plot.levels, plot.coords
    assert len(xy) == 1 + 7 * 40 and set(emotions) == {"neutral", "angry", "contempt", "disgusted", "fear",
                                                       "happy", "sad", "surprised"}
    distance = cdist(xy, xy)
    np.fill_diagonal(distance, np.inf)
    same = emotions[:, None] == emotions[None, :]
    for emotion in set(emotions) - {"neutral"}:
        own = emotions == emotion
        inside = distance[np.ix_(own, own)]
        assert inside[np.isfinite(inside)].mean() < 0.7 * distance[np.ix_(own, ~own)].mean(), emotion
    clear = levels >= 1.5         # away from the shared neutral origin, each point's nearest is its own
    nearest_same = np.where(same, distance, np.inf)[clear].min(1)
    nearest_other = np.where(~same, distance, np.inf)[clear].min(1)
    assert np.all(nearest_same < nearest_other)


def test_levels_make_a_gradient_away_from_neutral(prototypes_pca):
    plot = prototypes_pca
    emotions = np.array(plot.emotions)
    origin = plot.coords[emotions == "neutral"][0]
    for emotion in set(emotions) - {"neutral"}:
        own = np.nonzero(emotions == emotion)[0]
        own = own[np.argsort(plot.levels[own])]
        reach = np.linalg.norm(plot.coords[own] - origin, axis=1)
        assert np.all(np.diff(reach) > 0), emotion
    assert sum(plot.explained) > 0.3


def test_tsne_gives_finite_2d_points():
    points = prototype_set(levels=(1.0, 2.0, 3.0, 4.0))
    plot = embed(points, "tsne")
    assert plot.coords.shape == (len(points.vectors), 2) and np.isfinite(plot.coords).all()
    assert plot.explained is None


def _clip(tmp_path, name, timeline, n=100):
    keys = parse_timeline(timeline)
    aus = timeline_aus(keys, n, 25.0, lambda e, lv: target_aus(np.zeros((17, 2), np.float32), e, lv), 0.4)
    aus[30:33, 16] = 5.0                                              # a blink (AU45) on 3 frames
    return save_les(tmp_path / f"{name}.csv", les_clip(aus, 25.0, keys, 0.4, name))


def test_cli_plots_clips_and_the_builtin_set(tmp_path, run_cli):
    from PIL import Image

    a = _clip(tmp_path, "happy_clip", "0:neutral 1:happy@3")
    b = _clip(tmp_path, "sad_clip", "0:neutral 1:sad@3")
    status, _, err = run_cli("les-plot", a, b, "-o", tmp_path / "clips.png")
    assert status == 0, err
    with Image.open(tmp_path / "clips.png") as image:
        assert image.format == "PNG" and image.size[0] > 400
    plot = embed(clip_points([load_les(a), load_les(b)]), "pca")
    emotions = np.array(plot.emotions)
    happy, sad = plot.coords[emotions == "happy"], plot.coords[emotions == "sad"]
    assert len(happy) > 40 and len(sad) > 40
    gap = np.linalg.norm(happy.mean(0) - sad.mean(0))
    assert gap > 3 * max(happy.std(0).max(), sad.std(0).max())
    assert len(embed(clip_points([load_les(a), load_les(b)], per="clip")).coords) == 2
    status, _, err = run_cli("les-plot", "-o", tmp_path / "builtin.png")
    assert status == 0, err and (tmp_path / "builtin.png").stat().st_size > 10_000


def test_cli_errors_are_one_line(tmp_path, run_cli):
    (tmp_path / "x.csv").write_text("time,emotion\n0,happy\n")
    status, _, err = run_cli("les-plot", tmp_path / "x.csv", "-o", tmp_path / "p.png")
    assert status == 2 and "x.csv, line 1" in err and err.count("\n") == 1
    status, _, err = run_cli("les-plot", "-o", tmp_path / "p.jpg")
    assert status == 2 and ".png" in err
    assert not (tmp_path / "p.png").exists() and not (tmp_path / "p.jpg").exists()
