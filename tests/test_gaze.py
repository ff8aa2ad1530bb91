"""Gaze: the irises are control points of the warp (a fan round each iris inside the eye
opening), so `RigParams.gaze` moves them; zero gaze changes nothing, blinks still close the lids,
and a large gaze keeps the iris inside the eye."""
from __future__ import annotations

import numpy as np
import pytest

from emoface.analyze import topology as topo
from emoface.types import RigParams
from synthetic import canonical_face
from emoface.vocab import AU_IDS, AU_INDEX

EYES = ((topo.RIGHT_IRIS, topo.RIGHT_EYE_CORNERS), (topo.LEFT_IRIS, topo.LEFT_EYE_CORNERS))




def _eye_width(landmarks: np.ndarray, corners) -> float:
    return float(np.linalg.norm(landmarks[corners[1], :2] - landmarks[corners[0], :2]))


def _signed_areas(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = points[tris[:, 0], :2], points[tris[:, 1], :2], points[tris[:, 2], :2]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def _eye_fans(mesh) -> np.ndarray:
    """[2] bool masks over the control mesh's face triangles that lie in each eye opening."""
    from emoface.render.control_mesh import EYE_LOOPS

    first_eye = len(mesh.points_src) - 2 * mesh.eye_ring.shape[1]
    tris = mesh.triangles[: mesh.n_face]
    masks = []
    for e, (centre, loop) in enumerate(EYE_LOOPS):
        ring = set(range(first_eye + e * mesh.eye_ring.shape[1], first_eye + (e + 1) * mesh.eye_ring.shape[1]))
        members = ring | set(loop) | {centre}
        masks.append(np.array([set(map(int, t)) <= members for t in tris]))
    return tris, masks


# ---------------------------------------------------------------- mesh and rig, no media
def test_eye_fans_tile_each_eye_opening_without_overlap():
    """The triangles replacing each eye opening cover it exactly once, all turned the same way,
    and they move the iris: its centre is a corner of them."""
    import cv2

    from emoface.render.control_mesh import EYE_LOOPS, build_control_mesh

    face = canonical_face()
    mesh = build_control_mesh(face.landmarks_px, face.image_size)
    tris, masks = _eye_fans(mesh)
    for (centre, loop), mask in zip(EYE_LOOPS, masks):
        areas = _signed_areas(mesh.points_src, tris[mask])
        assert mask.sum() == 4 * mesh.eye_ring.shape[1]
        assert (np.sign(areas) == np.sign(areas[0])).all() and np.abs(areas).min() > 0.05
        opening = abs(cv2.contourArea(face.landmarks_px[list(loop), :2].astype(np.float32)))
        assert abs(np.abs(areas).sum() / 2 - opening) < 1e-3 * opening
        assert (tris[mask] == centre).any()


def test_zero_gaze_moves_nothing_and_gaze_moves_only_the_irises():
    from emoface.rig.deform import deform

    face = canonical_face()
    assert np.array_equal(deform(face, RigParams()), deform(face, RigParams(gaze=np.zeros(2, np.float32))))
    still = deform(face, RigParams())
    looked = deform(face, RigParams(gaze=np.array([0.15, 0.0], np.float32)))
    moved = np.abs(looked - still).max(1) > 1e-4
    assert set(np.flatnonzero(moved)) == set(topo.RIGHT_IRIS + topo.LEFT_IRIS)
    for iris, corners in EYES:
        shift = looked[list(iris), :2] - still[list(iris), :2]
        width = _eye_width(still, corners)
        assert np.allclose(shift[:, 0], 0.15 * width, atol=1e-3 * width)   # right, by 0.15 eye widths
        assert np.allclose(shift[:, 1], 0.0, atol=1e-3 * width)


def test_large_gaze_keeps_the_iris_inside_the_eye():
    from emoface.rig.deform import deform

    face = canonical_face()
    for gaze in ((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)):
        out = deform(face, RigParams(gaze=np.array(gaze, np.float32)))
        for (iris, corners), (upper, lower) in zip(EYES, ((topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER),
                                                           (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER))):
            c = out[iris[0], :2]
            r = float(np.linalg.norm(out[list(iris[1:]), :2] - c, axis=1).mean())
            xs = out[list(corners), 0]
            assert xs.min() + 0.9 * r <= c[0] <= xs.max() - 0.9 * r, gaze
            k = int(np.argmin(np.abs(out[list(upper), 0] - c[0])))
            assert out[upper[k], 1] < c[1] < out[lower[k], 1], gaze


def test_half_blink_closes_over_a_shifted_gaze():
    """AU45 half way with the eyes looking aside: the lids close as far as without gaze, and the
    eye fans close with them (the iris is drawn in between the lids): no triangle turns over."""
    from emoface.render.control_mesh import build_control_mesh
    from emoface.rig.deform import deform

    face = canonical_face()
    delta = np.zeros((len(AU_IDS), 2), np.float32)
    delta[AU_INDEX[45]] = 2.5
    plain = deform(face, RigParams(au_delta=delta))
    out = deform(face, RigParams(au_delta=delta, gaze=np.array([0.15, -0.1], np.float32)))
    lids = list(topo.RIGHT_EYE_UPPER + topo.RIGHT_EYE_LOWER + topo.LEFT_EYE_UPPER + topo.LEFT_EYE_LOWER)
    assert np.array_equal(out[lids], plain[lids])
    mesh = build_control_mesh(face.landmarks_px, face.image_size)
    tris, masks = _eye_fans(mesh)
    before = _signed_areas(mesh.points_src, tris)
    after = _signed_areas(mesh.points_dst(out), tris)
    for mask in masks:
        assert (np.sign(before[mask]) * after[mask]).min() > -1e-3


# ---------------------------------------------------------------- a real portrait
@pytest.fixture(scope="module")
def portrait(portrait_path):
    from emoface.pipeline import prepare

    return prepare(str(portrait_path), size=512)


def _iris_shift_px(source: np.ndarray, rendered: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """[2, 2] px: where each source iris (a square inside it) is found again in the render,
    by template matching (sub-pixel), relative to where it was."""
    import cv2

    src, dst = source.astype(np.float32).mean(2), rendered.astype(np.float32).mean(2)
    out = []
    for iris, _ in EYES:
        c = landmarks[iris[0], :2]
        r = float(np.linalg.norm(landmarks[list(iris[1:]), :2] - c, axis=1).mean())
        h, reach = int(round(0.6 * r)), int(round(2.5 * r))
        cx, cy = int(round(c[0])), int(round(c[1]))
        template = src[cy - h:cy + h + 1, cx - h:cx + h + 1]
        region = dst[cy - h - reach:cy + h + reach + 1, cx - h - reach:cx + h + reach + 1]
        score = cv2.matchTemplate(region, template, cv2.TM_SQDIFF)
        x, y = cv2.minMaxLoc(score)[2]

        def vertex(a, b, d):
            return 0.5 * (a - d) / (a - 2 * b + d) if a - 2 * b + d != 0 else 0.0

        dx = vertex(score[y, x - 1], score[y, x], score[y, x + 1]) if 0 < x < score.shape[1] - 1 else 0.0
        dy = vertex(score[y - 1, x], score[y, x], score[y + 1, x]) if 0 < y < score.shape[0] - 1 else 0.0
        out.append((x + dx - reach, y + dy - reach))
    return np.array(out)


def test_gaze_moves_the_rendered_irises_by_that_many_eye_widths(portrait):
    from emoface.pipeline import render_params

    lm = portrait.analysis.landmarks_px
    widths = np.array([_eye_width(lm, corners) for _, corners in EYES])
    unchanged = render_params(portrait, RigParams(gaze=np.zeros(2, np.float32)))
    assert np.abs(unchanged.astype(int) - portrait.image).max() <= 1
    for gx in (0.15, -0.15):
        out = render_params(portrait, RigParams(gaze=np.array([gx, 0.0], np.float32)))
        shift = _iris_shift_px(portrait.image, out, lm)
        assert np.all(np.abs(shift[:, 0] / widths - gx) < 0.03), (gx, shift / widths[:, None])
        assert np.all(np.abs(shift[:, 1] / widths) < 0.04), (gx, shift / widths[:, None])


def test_shut_eyes_hide_the_gaze(portrait):
    """A full blink looks the same whichever way the eyes looked: the lids cover the eye (the
    fans of a shut eye fold flat behind the lid skin)."""
    from emoface.pipeline import render_params

    delta = np.zeros((len(AU_IDS), 2), np.float32)
    delta[AU_INDEX[45]] = 5.0
    lm = portrait.analysis.landmarks_px
    shut = render_params(portrait, RigParams(au_delta=delta)).astype(np.float32)
    for gaze in ((0.15, 0.0), (-0.15, 0.1)):
        looked = render_params(portrait, RigParams(au_delta=delta, gaze=np.array(gaze, np.float32))).astype(np.float32)
        for iris, corners in EYES:
            x0, y0 = np.floor(lm[list(corners), :2].min(0) - 4).astype(int)
            x1, y1 = np.ceil(lm[list(corners), :2].max(0) + 4).astype(int)
            r = int(np.ceil(_eye_width(lm, corners) * 0.3))
            diff = np.abs(looked[y0 - r:y1 + r, x0:x1] - shut[y0 - r:y1 + r, x0:x1])
            assert diff.mean() < 1.0 and np.percentile(diff, 99) < 25, (gaze, diff.mean())
