"""Video face tracking (`emoface.analyze.track`): following one face, losing it, smoothing."""
from __future__ import annotations

import numpy as np
import pytest

from emoface.analyze.track import (FaceTrack, LANDMARK_BAND, smooth_series, track_frames, track_video)
from emoface.errors import InputError, NoFaceError

MEAD_CLIP = "video/mead_W009_happy_256.mp4"
UPPER_LIP, LOWER_LIP = 13, 14  # MediaPipe inner-lip midpoints


# --- smoothing (synthetic signals with known answers) -------------------------------------

def test_smoothing_removes_jitter_on_a_still_point():
    rng = np.random.default_rng(0)
    values = 100.0 + rng.normal(0.0, 0.3, (200, 1))
    smoothed = smooth_series(values, np.ones(200, bool), band=1.0)
    assert np.std(np.diff(smoothed[:, 0])) < 0.7 * np.std(np.diff(values[:, 0]))


def test_smoothing_keeps_a_one_frame_lip_closure_in_time_and_depth():
    """A mouth 20 px open that shuts for one frame (a 'b'): the closure stays on its frame and
    closes to within the jitter band (a plain 5-frame average would leave it half open)."""
    opening = np.full((40, 1), 20.0)
    opening[20] = 0.0
    opening[30:] = 5.0  # a fast step
    band = 1.0
    smoothed = smooth_series(opening, np.ones(40, bool), band=band)[:, 0]
    assert int(np.argmin(smoothed)) == 20
    assert smoothed[20] <= band + 1e-6
    assert np.abs(smoothed - opening[:, 0]).max() <= band + 1e-6      # never smeared further
    assert abs(smoothed[29] - 20.0) <= band and abs(smoothed[30] - 5.0) <= band  # the step stays put


def test_smoothing_never_crosses_frames_where_the_face_was_lost():
    values = np.concatenate([np.zeros(10), np.full(3, np.nan), np.full(10, 50.0)])[:, None]
    found = np.isfinite(values[:, 0])
    smoothed = smooth_series(values, found, band=np.inf)
    assert np.all(np.isnan(smoothed[10:13]))
    assert np.allclose(smoothed[:10], 0.0) and np.allclose(smoothed[13:], 50.0)


# --- tracking real and synthetic video -----------------------------------------------------

@pytest.fixture(scope="module")
def mead_track(media_dir) -> FaceTrack:
    path = media_dir / MEAD_CLIP
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return track_video(path)


def test_track_video_follows_the_speaker_in_every_frame(mead_track, media_dir):
    from emoface.io.video import video_info

    info = video_info(media_dir / MEAD_CLIP)
    t = len(mead_track)
    assert t == info.frame_count
    assert mead_track.found.all()
    assert mead_track.landmarks_px.shape == (t, 478, 3) and mead_track.blendshapes.shape == (t, 52)
    assert mead_track.head_from_canonical.shape == (t, 4, 4)
    assert mead_track.fps == pytest.approx(info.fps) and mead_track.image_size == (256, 256)
    assert np.isfinite(mead_track.landmarks_px).all()
    aus = mead_track.aus()
    assert aus.shape == (t, 17, 2) and np.isfinite(aus).all()
    # the speaker smiles (a MEAD "happy" clip): AU12 reads clearly on most frames
    assert np.median(aus[:, 8].mean(1)) > 1.0


def test_smoothing_does_not_delay_the_mouth(media_dir):
    """The smoothed lip gap follows the raw one frame for frame (best lag 0, r > 0.98)."""
    raw = track_video(media_dir / MEAD_CLIP, smooth=False)
    from emoface.analyze.track import smooth_track

    smooth = smooth_track(raw)

    def gap(track):
        return np.linalg.norm(track.landmarks_px[:, LOWER_LIP, :2] - track.landmarks_px[:, UPPER_LIP, :2], axis=1)

    a, b = gap(raw), gap(smooth)
    assert a.std() > 2.0  # she talks
    lags = {lag: np.corrcoef(a[max(0, -lag): len(a) - max(0, lag)], b[max(0, lag): len(b) - max(0, -lag)])[0, 1]
            for lag in range(-3, 4)}
    assert max(lags, key=lags.get) == 0 and lags[0] > 0.98
    band = LANDMARK_BAND * np.nanmax(raw.face_width_px)
    assert np.nanmax(np.abs(smooth.landmarks_px - raw.landmarks_px)) <= band + 1e-3


def _two_faces(astronaut: np.ndarray, right_scale: float = 1.0) -> np.ndarray:
    """The astronaut's head twice side by side (right copy scaled), RGB uint8 [256, 512, 3]."""
    import cv2

    head = astronaut[0:256, 96:352]                       # her face, ~90 px wide, in a 256 crop
    right = cv2.resize(head, None, fx=right_scale, fy=right_scale)
    canvas = np.full((256, 512, 3), 200, np.uint8)
    canvas[:, :256] = head
    h, w = min(256, right.shape[0]), min(256, right.shape[1])
    canvas[:h, 256:256 + w] = right[:h, :w]
    return canvas


def test_face_index_counts_from_the_left_and_the_largest_is_the_default(astronaut_rgb):
    frame = _two_faces(astronaut_rgb, right_scale=1.25)
    frames = [frame] * 4
    left = track_frames(frames, 25.0, face_index=0)
    right = track_frames(frames, 25.0, face_index=1)
    default = track_frames(frames, 25.0)
    assert left.found.all() and right.found.all()
    assert np.nanmean(left.landmarks_px[:, :468, 0]) < 256 < np.nanmean(right.landmarks_px[:, :468, 0])
    assert np.nanmean(default.landmarks_px[:, :468, 0]) > 256      # the bigger, right-hand face
    with pytest.raises(InputError, match="face index 3"):
        track_frames(frames, 25.0, face_index=3)


def test_a_lost_face_gives_nan_rows_and_is_found_again(astronaut_rgb):
    blank = np.full_like(astronaut_rgb, 128)
    frames = [astronaut_rgb] * 5 + [blank] * 3 + [astronaut_rgb] * 5
    track = track_frames(frames, 25.0)
    assert track.found.tolist() == [True] * 5 + [False] * 3 + [True] * 5
    assert np.isnan(track.landmarks_px[5:8]).all() and np.isnan(track.blendshapes[5:8]).all()
    assert np.abs(track.landmarks_px[4] - track.landmarks_px[8]).max() < 3.0  # the same face, same place
    with pytest.raises(InputError, match="not found in frame 6"):
        track.analysis(6)
    assert track.analysis(0).landmarks_px.shape == (478, 3)
    assert np.isnan(track.aus()[6]).all()


def test_a_small_face_in_a_wide_shot_is_found_and_followed(astronaut_rgb):
    """A 90 px face in a 1920x1080 frame is ~60 px in the 1280 px copy the whole frame is
    analysed on, too small for the detector: the tracker searches smaller windows once, then
    follows the face in a crop around it as it drifts across the frame."""
    import cv2
    import skimage.data

    from emoface.analyze.landmarker import analyze_image
    from emoface.analyze.track import VideoTracker

    own = analyze_image(astronaut_rgb).landmarks_px[:468, :2]
    background = cv2.resize(skimage.data.coffee(), (1920, 1080))
    frames, corners = [], []
    for i in range(12):
        frame, x, y = background.copy(), 1200 - 10 * i, 400 + 3 * i
        frame[y:y + 512, x:x + 512] = astronaut_rgb
        frames.append(frame)
        corners.append((x, y))
    with VideoTracker(25.0) as tracker:
        faces = [tracker.read(frame) for frame in frames]
    assert all(face is not None for face in faces)
    assert tracker.frames_searched == 1 and tracker.frames_cropped == 11
    errors = [np.median(np.abs(face.landmarks_px[:468, :2] - own - corner)) for face, corner in zip(faces, corners)]
    assert max(errors) < 2.0, errors                       # the same face, where it was pasted
    assert track_frames(frames, 25.0).found.all()


def test_a_video_without_a_face_is_a_clear_error(tmp_path):
    from emoface.io.video import VideoWriter

    path = tmp_path / "noface.mp4"
    rng = np.random.default_rng(1)
    with VideoWriter(path, 25, (128, 96)) as vw:
        for _ in range(6):
            vw.write(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
    with pytest.raises(NoFaceError, match="no face found in any frame"):
        track_video(path)


def test_bad_input_is_refused(tmp_path, astronaut_rgb):
    with pytest.raises(InputError):
        track_video(tmp_path / "missing.mp4")
    with pytest.raises(InputError, match="no frames"):
        track_frames([], 25.0)
    with pytest.raises(InputError, match="one size"):
        track_frames([astronaut_rgb, astronaut_rgb[:256]], 25.0)


def test_savgol_matches_scipy():
    from scipy.signal import savgol_filter

    from emoface.analyze.track import savgol

    values = np.random.default_rng(2).normal(size=(23, 4, 3))
    for window, order in ((5, 2), (7, 3), (3, 1)):
        assert np.allclose(savgol(values, window, order),
                           savgol_filter(values, window, order, axis=0, mode="interp"), atol=1e-10)
