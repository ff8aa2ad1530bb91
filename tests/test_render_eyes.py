"""The eyeball behind moved lids (render.eyes): a widening eye shows its iris and white, not a
stretched dark arch or skin; an unmoved eye is left as it is. Synthetic faces, no media."""
import cv2
import numpy as np

from emoface.analyze import topology as topo
from emoface.render.control_mesh import EYE_LOOPS
from emoface.render.eyes import measure_eyes, paint_eyes
from synthetic import canonical_face

SKIN = (200, 150, 130)
WHITE = (235, 232, 228)
IRIS = (70, 45, 30)
LUMA = np.array([0.299, 0.587, 0.114])


def _squeezed(landmarks: np.ndarray, share: float) -> np.ndarray:
    """Landmarks with each eye's lids pulled towards the line between its corners (x share)."""
    out = landmarks.copy()
    for _, loop in EYE_LOOPS:
        c0, c1 = out[loop[0], :2], out[loop[8], :2]
        for i in loop:
            t = np.dot(out[i, :2] - c0, c1 - c0) / np.dot(c1 - c0, c1 - c0)
            on_line = c0 + t * (c1 - c0)
            out[i, :2] = on_line + share * (out[i, :2] - on_line)
    return out


def _portrait(landmarks: np.ndarray, size: int, white=WHITE, iris=IRIS) -> np.ndarray:
    """Skin, and in each lid opening a white with the iris disc, cut by the lids."""
    image = np.zeros((size, size, 3), np.uint8)
    image[:] = SKIN
    for centre_id, loop in EYE_LOOPS:
        inside = np.zeros((size, size), np.uint8)
        cv2.fillPoly(inside, [np.round(landmarks[list(loop), :2] * 16).astype(np.int32)], 1, shift=4)
        eye = np.zeros_like(image)
        eye[:] = white
        centre = landmarks[centre_id, :2]
        radius = np.linalg.norm(landmarks[centre_id + 1, :2] - centre)
        cv2.circle(eye, tuple(int(round(v * 16)) for v in centre), int(round(radius * 16)), iris, -1, shift=4)
        image[inside > 0] = eye[inside > 0]
    return image


def _revealed(src: np.ndarray, dst: np.ndarray, size: int, centre_id: int, loop) -> tuple[np.ndarray, np.ndarray]:
    """(iris, white) masks of pixels well inside the new opening, 2+ px outside the old one."""
    def mask(lm, grow):
        m = np.zeros((size, size), np.uint8)
        cv2.fillPoly(m, [np.round(lm[list(loop), :2] * 16).astype(np.int32)], 1, shift=4)
        return cv2.dilate(m, np.ones((5, 5), np.uint8)) if grow else cv2.erode(m, np.ones((3, 3), np.uint8))
    band = (mask(dst, False) > 0) & (mask(src, True) == 0)
    r, radius = _from_iris(src, dst, size, centre_id)
    return band & (r < 1.0 - 1.5 / radius), band & (r > 1.0 + 1.5 / radius)


def _from_iris(src: np.ndarray, dst: np.ndarray, size: int, centre_id: int) -> tuple[np.ndarray, float]:
    """([size, size] distance of each pixel from the output's iris centre in iris radii, the iris
    radius px)."""
    yy, xx = np.mgrid[:size, :size]
    centre = dst[centre_id, :2]
    radius = float(np.linalg.norm(src[centre_id + 1, :2] - src[centre_id, :2]))
    return np.hypot(xx - centre[0], yy - centre[1]) / radius, radius


def test_a_widening_eye_shows_its_iris_and_white_where_the_lids_hid_them():
    face = canonical_face(px_per_cm=20.0, size=480)
    dst = _squeezed(face.landmarks_px.astype(np.float64), 1.6)   # wide open (surprise)
    src = _squeezed(dst, 0.3)                      # a narrow eye: the lids hide the iris's top and bottom
    image = _portrait(src, 480)
    frame = image.copy()                           # what the warp left there: lid skin
    paint_eyes(frame, image, measure_eyes(image, src), src, dst)
    for centre_id, loop in EYE_LOOPS:
        iris, white = _revealed(src, dst, 480, centre_id, loop)
        assert iris.sum() > 10 and white.sum() > 10
        iris_luma = frame[iris].astype(float) @ LUMA
        white_rgb = frame[white].astype(float)
        assert np.median(iris_luma) < 100, "the iris continues, dark, above where the lid was"
        assert np.median(white_rgb @ LUMA) > 150, "the white of the eye shows beside it"
        spread = white_rgb.max(1) - white_rgb.min(1)
        assert np.median(spread) < 0.5 * (max(SKIN) - min(SKIN)), "a white, not skin"
    outside = np.ones((480, 480), bool)
    for _, loop in EYE_LOOPS:
        m = np.zeros((480, 480), np.uint8)
        cv2.fillPoly(m, [np.round(dst[list(loop), :2] * 16).astype(np.int32)], 1, shift=4)
        outside &= cv2.dilate(m, np.ones((7, 7), np.uint8)) == 0
    assert np.array_equal(frame[outside], image[outside]), "nothing outside the openings changes"


def test_an_eye_that_shows_no_white_gets_a_light_grey_one():
    face = canonical_face(px_per_cm=20.0, size=480)
    dst = _squeezed(face.landmarks_px.astype(np.float64), 1.6)
    src = _squeezed(dst, 0.3)
    image = _portrait(src, 480, white=SKIN)        # e.g. a painting whose 'white' is skin-coloured
    frame = image.copy()
    paint_eyes(frame, image, measure_eyes(image, src), src, dst)
    centre_id, loop = EYE_LOOPS[0]
    _, white = _revealed(src, dst, 480, centre_id, loop)
    rgb = frame[white].astype(float)
    assert np.median(rgb @ LUMA) > 0.6 * (np.array(SKIN) @ LUMA)
    assert np.median(rgb.max(1) - rgb.min(1)) < 0.5 * (max(SKIN) - min(SKIN))


def test_an_unmoved_eye_is_left_as_it_is():
    face = canonical_face()
    lm = face.landmarks_px.astype(np.float64)
    image = _portrait(lm, 320)
    frame = image.copy()
    paint_eyes(frame, image, measure_eyes(image, lm), lm, lm.copy())
    assert np.array_equal(frame, image)
    # a barely moved one is redrawn from itself: no visible change
    nudged = lm.copy()
    nudged[list(topo.RIGHT_EYE_UPPER), 1] -= 0.1
    paint_eyes(frame, image, measure_eyes(image, lm), lm, nudged)
    assert np.abs(frame.astype(int) - image.astype(int)).max() <= 12


def test_a_barely_visible_iris_is_painted_in_its_own_colour_with_fibres():
    """A slit showing only a sliver of a blue-grey iris: the uncovered iris continues blue-grey
    (not a default brown) and is textured, not a flat disc."""
    blue_grey = (90, 110, 120)
    face = canonical_face(px_per_cm=40.0, size=960)
    dst = _squeezed(face.landmarks_px.astype(np.float64), 1.6)
    src = _squeezed(dst, 0.3)
    image = _portrait(src, 960, iris=blue_grey)
    frame = image.copy()
    paint_eyes(frame, image, measure_eyes(image, src), src, dst)
    for centre_id, loop in EYE_LOOPS:
        iris, _ = _revealed(src, dst, 960, centre_id, loop)
        r, _ = _from_iris(src, dst, 960, centre_id)
        ring = iris & (r > 0.5) & (r < 0.65)   # between the pupil and the darker rim
        rgb = frame[ring].astype(float)
        assert ring.sum() > 50
        assert np.median(rgb[:, 2]) > np.median(rgb[:, 0]) + 10, "blue-grey, as the sliver shows"
        assert np.std(rgb @ LUMA) > 8.0, "fibres, not a flat disc (a flat one varies by ~4)"
