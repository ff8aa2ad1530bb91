"""emoface.evaluate metrics on inputs with known answers (no models, no media)."""
import math

import numpy as np
import pytest

from emoface.evaluate import cpbd as C
from emoface.evaluate import metrics as M


def test_best_lag_sign_positive_when_output_is_late():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=120).cumsum()
    late = np.r_[np.full(3, ref[0]), ref[:-3]]     # output[t + 3] == ref[t]
    early = np.r_[ref[2:], np.full(2, ref[-1])]    # output[t - 2] == ref[t]
    assert M.best_lag(ref, ref) == (pytest.approx(1.0), 0)
    r, lag = M.best_lag(ref, late)
    assert lag == 3 and r == pytest.approx(1.0)
    r, lag = M.best_lag(ref, early)
    assert lag == -2 and r == pytest.approx(1.0)


def test_pearson_ignores_nans_and_needs_overlap():
    x = np.sin(np.arange(40) / 3.0)
    y = x.copy()
    y[[3, 10, 20]] = np.nan
    assert M.pearson_at_lag(x, y, 0) == pytest.approx(1.0)
    assert math.isnan(M.pearson_at_lag(x[:5], x[:5], 0))          # too few frames
    assert math.isnan(M.pearson_at_lag(x, np.ones(40), 0))        # constant curve
    r, lag = M.best_lag(np.full(30, np.nan), x[:30])
    assert math.isnan(r) and lag == 0


def _face_points(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(50, 150, size=(68, 2))


def test_similarity_alignment_removes_pose_and_scale():
    ref = _face_points()
    angle = np.radians(17)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = 1.7 * ref @ rot.T + [30.0, -12.0]
    scale, R, t = M.similarity_fit(moved, ref)
    assert scale == pytest.approx(1 / 1.7)
    aligned = M.align_landmarks(moved[None], ref[None])
    assert M.landmark_distance(aligned, ref[None]) == pytest.approx(0.0, abs=1e-9)
    assert M.landmark_distance(aligned, ref[None], M.MOUTH_POINTS) == pytest.approx(0.0, abs=1e-9)


def test_lmd_and_lvd_known_values():
    ref = np.repeat(_face_points()[None], 4, axis=0)           # [4, 68, 2], a still face
    out = ref.copy()
    out[:, 48:68, 1] += 2.0                                     # the mouth 2 px lower, always
    # no alignment: every mouth point is 2 px off, the 48 others exact
    assert M.landmark_distance(out, ref, M.MOUTH_POINTS) == pytest.approx(2.0)
    assert M.landmark_distance(out, ref) == pytest.approx(2.0 * 20 / 68)
    assert M.landmark_velocity_difference(out, ref) == pytest.approx(0.0)  # constant offset: no velocity
    out[2, 48:68, 1] += 1.0                                     # one frame jumps 1 px more
    # velocities differ by 1 px on frames 1->2 and 2->3 for the 20 mouth points
    assert M.landmark_velocity_difference(out, ref, M.MOUTH_POINTS) == pytest.approx(2 / 3)
    missing = ref.copy()
    missing[1] = np.nan
    assert M.landmark_distance(missing, ref) == pytest.approx(0.0)
    assert math.isnan(M.landmark_distance(np.full_like(ref, np.nan), ref))


def test_psnr_ssim_known_values():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 255, size=(32, 32, 3), dtype=np.uint8)
    b = a.copy()
    b[..., 0] = np.where(a[..., 0] < 255, a[..., 0] + 1, 254)   # every red value off by one
    assert M.psnr_db(a, a) == math.inf
    assert M.psnr_db(a, b) == pytest.approx(10 * np.log10(255.0 ** 2 / (1 / 3)))
    assert M.ssim(a, a) == pytest.approx(1.0)
    assert M.ssim(a, 255 - a) < 0.5


def test_cpbd_fast_widths_match_the_per_pixel_walk(astronaut_rgb):
    rng = np.random.default_rng(2)
    for gray in (C.to_gray(astronaut_rgb[100:196, 150:246]),
                 rng.uniform(0, 255, size=(40, 70)),                       # noise: short runs
                 np.tile(np.r_[np.arange(0, 250, 2), np.arange(250, 0, -2)], (8, 1)).astype(float)):
        edges = C.sobel_edges(gray)
        edges[1:-1, 1:-1] |= rng.random(np.shape(gray[1:-1, 1:-1])) < 0.2  # widths at more pixels
        assert np.array_equal(C.edge_widths(gray, edges), C.edge_widths_reference(gray, edges))


def test_cpbd_blur_lowers_sharpness(astronaut_rgb):
    import cv2

    sharp = C.cpbd(astronaut_rgb)
    soft = C.cpbd(cv2.GaussianBlur(astronaut_rgb, (0, 0), 1.0))
    softer = C.cpbd(cv2.GaussianBlur(astronaut_rgb, (0, 0), 2.0))
    assert 0.0 <= softer < soft < sharp <= 1.0
    assert math.isnan(C.cpbd(np.full((128, 128, 3), 90, np.uint8)))    # flat: no edge block
    assert math.isnan(C.cpbd(astronaut_rgb[:40, :40]))                  # smaller than one block


def test_cpbd_ideal_step_edge_is_sharp():
    import cv2

    img = np.zeros((128, 128), np.uint8)
    img[:, 64:] = 200                                   # vertical step: width 2 px < w_JNB
    assert C.cpbd(img) == pytest.approx(1.0)
    soft = cv2.GaussianBlur(img, (0, 0), 6.0)           # the same edge ~25 px wide
    assert C.cpbd(soft) == pytest.approx(0.0)


def test_au_edit_summary_names_the_portraits_that_did_not_move():
    """The AU-edit table says which portrait missed and by how much, not only '4/5'."""
    from emoface.evaluate.config import SuiteConfig
    from emoface.evaluate.report import _au_edits
    from emoface.evaluate.stills import summarize_au_edits
    from emoface.vocab import AU_IDS

    config = SuiteConfig()
    k = AU_IDS.index(5)

    def change(own: float) -> list:
        v = np.zeros(len(AU_IDS))
        v[k] = own
        return v.tolist()

    changes = {"a.png": {"5": {"plus": change(0.4), "minus": change(-0.3)}},
               "b.png": {"5": {"plus": change(0.05), "minus": change(0.2)}}}   # b moves neither way
    row = summarize_au_edits(changes, config)["5"]
    assert (row["plus"]["moved"], row["plus"]["of"], row["minus"]["moved"]) == (1, 2, 1)
    assert row["plus"]["missed"] == [{"portrait": "b.png", "change": pytest.approx(0.05)}]
    assert row["minus"]["missed"] == [{"portrait": "b.png", "change": pytest.approx(0.2)}]
    section = {"delta": 2.5, "reader": "test", "summary": {"5": row}}
    text = "\n".join(_au_edits(section))
    assert "AU5 +2.5 on b.png (+0.05)" in text and "AU5 -2.5 on b.png (+0.20)" in text
