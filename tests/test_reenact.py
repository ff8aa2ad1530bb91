"""`emoface reenact`: expression, head pose and mouth driven by other videos (issue 4).

Synthetic readings with known answers first (no models); then the real pipeline on the shared
MEAD clips: what a user would see (smile and raised brows transferred, face shape not, the
mouth following the reference frame by frame as dlib measures it, the head turning the same
way), and the command line's exit codes and outputs.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from emoface.reenactment.readings import CAMERA_TO_IMAGE_AXES, DrivingReadings, fill_lost, read_track
from emoface.reenactment.retarget import (REST_RANGE, TRANSFER_AUS, transfer_expression, transfer_mouth,
                                          transfer_pose)
from emoface.reenactment.run import ping_pong_index, resample
from emoface.vocab import AU_IDS, AU_INDEX, MOUTH_INDEX

FPS = 25.0
K1, K2, K12 = AU_INDEX[1], AU_INDEX[2], AU_INDEX[12]
HAPPY, NEUTRAL, SURPRISED = "mead_W009_happy_256.mp4", "mead_W009_neutral_256.mp4", "mead_W011_surprised_256.mp4"


def readings(n: int = 100, aus=None, gap=None, jaw26=None, rotation=None, shapes=None) -> DrivingReadings:
    """Synthetic DrivingReadings of n frames: AU readings [n, 17] (both sides), lip gap [n] cm,
    AU26 reading [n], rotations [n, 3, 3], lip shapes [n, 5]; everything else at rest."""
    bs = np.zeros((n, len(AU_IDS), 2))
    if aus is not None:
        bs[:] = np.asarray(aus, float)[:, :, None]
    if jaw26 is not None:
        bs[:, AU_INDEX[26]] = np.asarray(jaw26)[:, None]
    return DrivingReadings(
        aus_blendshape=bs, aus_geometry=bs.mean(2), lip_gap_cm=np.zeros(n) if gap is None else np.asarray(gap, float),
        eye_aperture_cm=np.full(n, 0.9), lip_shapes=np.zeros((n, 5)) if shapes is None else shapes,
        rotation=np.tile(np.eye(3), (n, 1, 1)) if rotation is None else rotation, gaze=np.zeros((n, 2)),
        found=np.ones(n, bool), fps=FPS)


# --- expression: changes from the reference's own neutral ------------------------------------

def test_a_smile_that_starts_from_calm_is_transferred_in_rig_units():
    aus = np.zeros((100, len(AU_IDS)))
    aus[50:, K12] = 4.0
    transfer = transfer_expression(readings(aus=aus))
    gain = TRANSFER_AUS[12][1]
    assert np.allclose(transfer.deltas[:40, K12], 0.0, atol=0.05)
    assert np.allclose(transfer.deltas[60:, K12], 4.0 / gain, atol=0.05)
    assert transfer.calm_frames.max() < 50


def test_a_face_shape_is_not_copied():
    """Two people whose brows read differently at rest (within what resting faces read) and
    who raise them by the same amount get the same change."""
    deltas = []
    for rest in (0.5, 5.0):
        aus = np.zeros((100, len(AU_IDS)))
        aus[:, K1] = rest
        aus[60:, K1] += 2.0
        deltas.append(transfer_expression(readings(aus=aus)).deltas[:, K1])
    assert rest <= REST_RANGE[1][1]
    np.testing.assert_allclose(deltas[0], deltas[1], atol=1e-5)
    assert deltas[0][:50].max() < 0.05 and deltas[0][70:].min() > 1.5


def test_an_expression_held_through_the_whole_clip_is_still_transferred():
    """A MEAD-style clip smiling from the first frame to the last: its calmest frames still
    smile, beyond anything a resting face reads, so the smile is expression, not shape."""
    aus = np.zeros((100, len(AU_IDS)))
    aus[:, K12] = 5.0
    transfer = transfer_expression(readings(aus=aus))
    assert transfer.held[K12]
    expected = (5.0 - REST_RANGE[12][1]) / TRANSFER_AUS[12][1]
    assert np.allclose(transfer.deltas[:, K12], expected, atol=0.05)


def test_speech_flicker_is_not_expression():
    """The smile reading dropping for two frames at a time (lips closing on b/p/m) does not
    make the transferred smile flicker."""
    aus = np.zeros((100, len(AU_IDS)))
    aus[20:, K12] = 4.0
    aus[40:42, K12] = aus[70:72, K12] = 0.0
    deltas = transfer_expression(readings(aus=aus)).deltas[:, K12]
    assert deltas[30:90].min() > 0.9 * 4.0 / TRANSFER_AUS[12][1]


def test_only_calibrated_aus_are_transferred_and_the_mouth_is_left_to_the_mouth():
    aus = np.full((100, len(AU_IDS)), 0.0)
    aus[50:] = 4.0
    transfer = transfer_expression(readings(aus=aus))
    moved = {AU_IDS[k] for k in np.flatnonzero(np.abs(transfer.deltas).max(axis=(0, 2)) > 0.01)}
    assert moved <= set(TRANSFER_AUS)
    assert not moved & {25, 26, 45}


# --- mouth ------------------------------------------------------------------------------

def test_mouth_opening_follows_the_lip_gap_and_closes_when_the_lips_meet():
    t = np.arange(100) / FPS
    gap = np.clip(1.5 * np.sin(2 * np.pi * 1.5 * t), 0.0, None)       # cm: open, shut, open...
    mouth = transfer_mouth(readings(gap=gap, jaw26=gap * 2.0))
    from emoface.motion.performance import JAW_OPEN_PER_AU26
    from emoface.reenactment.retarget import rig_gap_per_au_cm

    per_25, per_26 = rig_gap_per_au_cm()
    jaw = mouth.track.mouth[:, MOUTH_INDEX["jaw_open"]] + mouth.jaw_au26 * JAW_OPEN_PER_AU26
    opened = mouth.lips_part_au25 * per_25 + jaw / JAW_OPEN_PER_AU26 * per_26   # the rig's gap, cm
    assert np.corrcoef(opened, gap)[0, 1] > 0.95
    np.testing.assert_allclose(opened[gap > 0.05], gap[gap > 0.05], rtol=0.25, atol=0.1)
    shut = (gap == 0.0) & (np.roll(gap, 1) == 0.0) & (np.roll(gap, -1) == 0.0)   # inside a closure
    assert np.all(mouth.track.closure[shut] > 0.99) and np.all(opened[shut] < 0.02)
    assert mouth.track.closure[gap > 0.5].max() == 0.0


def test_lip_shapes_are_measured_above_their_resting_level():
    shapes = np.full((100, 5), 0.05)
    shapes[60:70, 1] = 0.85                                            # mouthPucker: an "oo"
    mouth = transfer_mouth(readings(shapes=shapes)).track.mouth
    assert mouth[65, MOUTH_INDEX["lip_pucker"]] == pytest.approx(0.8, abs=1e-6)
    assert mouth[:60, MOUTH_INDEX["lip_pucker"]].max() == 0.0
    assert mouth[:, MOUTH_INDEX["lip_funnel"]].max() == 0.0


# --- head pose ------------------------------------------------------------------------------

def test_head_pose_is_relative_to_the_reference_mean_pose():
    t = np.arange(100) / FPS
    turn = np.stack([0.1 * np.sin(2 * np.pi * t), 0.2 * np.sin(2 * np.pi * 0.5 * t), 0.05 * np.cos(2 * np.pi * t)], 1)
    offset = Rotation.from_euler("xyz", [0.3, -0.4, 0.1])           # the reference looks away
    rotation = (Rotation.from_euler("xyz", turn) * offset).as_matrix()
    pose = transfer_pose(readings(rotation=rotation))
    np.testing.assert_allclose(pose, turn - turn.mean(0), atol=0.02)


def test_lost_frames_are_filled_from_their_neighbours():
    values = np.array([1.0, np.nan, np.nan, 4.0, np.nan])
    np.testing.assert_allclose(fill_lost(values, np.isfinite(values)), [1, 2, 3, 4, 4])


# --- time -----------------------------------------------------------------------------------

def test_a_short_source_loops_forwards_and_backwards_without_a_jump():
    pos = ping_pong_index(200, 25.0, 30, 25.0)
    assert pos[0] == 0 and pos.min() >= 0 and pos.max() <= 29
    assert np.abs(np.diff(pos)).max() <= 1.0 + 1e-9
    assert pos[29] == pytest.approx(29) and pos[58] == pytest.approx(0)  # turns at either end
    values = np.arange(30, dtype=float)[:, None]
    assert np.abs(np.diff(resample(values, pos)[:, 0])).max() <= 1.0 + 1e-6


def test_a_source_at_another_frame_rate_keeps_its_timing():
    pos = ping_pong_index(50, 25.0, 200, 50.0)                        # 2 s at 25 fps from a 50 fps clip
    np.testing.assert_allclose(pos, np.arange(50) * 2.0)


# --- a tracked track: readings from landmarks and transforms (no images) --------------------

def test_readings_measure_the_lip_gap_and_head_turn_of_a_synthetic_track():
    from emoface.analyze.track import FaceTrack
    from emoface.rig.deform import deform, fit_face
    from emoface.types import RigParams

    from synthetic import canonical_face

    face = canonical_face()
    fit = fit_face(face)
    jaws = np.linspace(0.0, 1.0, 6)
    yaws = np.linspace(-0.2, 0.2, 6)
    landmarks, heads = [], []
    for jaw, yaw in zip(jaws, yaws):
        mouth = np.zeros(6, np.float32)
        mouth[0] = jaw
        landmarks.append(deform(face, RigParams(mouth=mouth), fit))
        head = np.eye(4, dtype=np.float32)
        head[:3, :3] = CAMERA_TO_IMAGE_AXES @ Rotation.from_euler("y", yaw).as_matrix() @ CAMERA_TO_IMAGE_AXES
        heads.append(head)
    found = np.ones(6, bool)
    found[2] = False
    landmarks = np.stack(landmarks)
    landmarks[2] = np.nan
    track = FaceTrack(landmarks, np.zeros((6, 52), np.float32), np.stack(heads), found, FPS, face.image_size)
    r = read_track(track)
    from emoface.reenactment.retarget import rig_gap_per_jaw_open_cm

    expected = jaws * rig_gap_per_jaw_open_cm()
    expected[2] = (expected[1] + expected[3]) / 2                      # the lost frame, filled
    np.testing.assert_allclose(r.lip_gap_cm - r.lip_gap_cm[0], expected, atol=0.05)
    yaw_read = Rotation.from_matrix(r.rotation).as_euler("xyz")[:, 1]
    np.testing.assert_allclose(yaw_read[[0, 1, 3, 4, 5]], yaws[[0, 1, 3, 4, 5]], atol=1e-4)


# --- the real thing: MEAD clips through MediaPipe -------------------------------------------

@pytest.fixture(scope="module")
def mead(media_dir):
    """{clip name: DrivingReadings} of the shared MEAD clips (tracked once)."""
    from emoface.analyze.track import track_video

    out = {}
    for name in (HAPPY, NEUTRAL, SURPRISED):
        path = media_dir / "video" / name
        if not path.is_file():
            pytest.skip(f"{path} is missing")
        out[name] = read_track(track_video(path))
    return out


def test_a_happy_clip_gives_a_smile_and_a_neutral_one_does_not(mead):
    happy = transfer_expression(mead[HAPPY]).deltas[:, K12].mean()
    neutral = transfer_expression(mead[NEUTRAL]).deltas[:, K12].mean()
    assert happy > 3.0 and abs(neutral) < 1.0


def test_a_surprised_clip_raises_the_brows_and_opens_the_eyes(mead):
    surprised = transfer_expression(mead[SURPRISED]).deltas
    neutral = transfer_expression(mead[NEUTRAL]).deltas
    assert surprised[:, K2].mean() > 3.0 and surprised[:, AU_INDEX[5]].mean() > 1.5
    assert neutral[:, K2].mean() < surprised[:, K2].mean() / 3 and abs(neutral[:, AU_INDEX[5]].mean()) < 1.0


def test_the_head_turns_the_way_the_rendered_head_turned(media_dir, portrait_path):
    """Render a portrait turning its head (known pitch/yaw/roll curves), track the frames like
    a driving video, and read the pose back: same direction on every axis."""
    from emoface.analyze.track import track_frames
    from emoface.pipeline import prepare, render_params
    from emoface.types import RigParams

    prepared = prepare(portrait_path, size=256)
    t = np.arange(40) / FPS
    requested = np.stack([0.12 * np.sin(2 * np.pi * t), 0.15 * np.sin(2 * np.pi * t + 1.0),
                          0.1 * np.sin(2 * np.pi * t + 2.0)], 1).astype(np.float32)
    frames = [render_params(prepared, RigParams(head_rotation=h)) for h in requested]
    pose = transfer_pose(read_track(track_frames(frames, FPS)))
    for axis in range(3):
        assert np.corrcoef(pose[:, axis], requested[:, axis])[0, 1] > 0.9


@pytest.fixture(scope="module")
def happy_reenactment(media_dir, tmp_path_factory):
    """Olsen reenacted from the happy MEAD clip at 256 px -> (output path, clip path, Reenactment)."""
    from emoface.reenactment import reenact

    clip = media_dir / "video" / HAPPY
    portrait = media_dir / "images" / "white_young_woman_elizabeth_olsen.jpg"
    out = tmp_path_factory.mktemp("reenact") / "olsen_happy.mp4"
    return out, clip, reenact(portrait, clip, out, size=256)


def test_the_output_mouth_follows_the_reference_mouth(happy_reenactment):
    """dlib (which emoface does not use) measures the inner-lip gap on both videos frame by
    frame: the output's opening follows the reference's."""
    pytest.importorskip("dlib")
    from emoface.evaluate.judging import judge_video
    from emoface.judge.dlib_face import mouth_opening

    out, clip, _ = happy_reenactment

    def opening(path):
        j = judge_video(path, cpbd_stride=0)
        return np.array([mouth_opening(lm) if np.isfinite(lm).all() else np.nan for lm in j.landmarks])

    a, b = opening(clip), opening(out)
    ok = np.isfinite(a) & np.isfinite(b)
    assert ok.mean() > 0.9
    assert np.corrcoef(a[ok], b[ok])[0, 1] > 0.8


def test_the_output_lasts_as_long_as_the_expression_video_and_is_silent(happy_reenactment):
    from emoface.io.video import video_info

    out, clip, result = happy_reenactment
    info, ref = video_info(out), video_info(clip)
    assert info.frame_count == ref.frame_count and not info.has_audio
    assert result.looped == () and result.sources["sound"] is None
    assert len(result.performance) == ref.frame_count


def test_emoface_reenact_is_a_function_even_after_the_package_is_imported():
    import emoface
    import emoface.reenactment  # noqa: F401

    assert callable(emoface.reenact) and emoface.reenact.__module__ == "emoface"


# --- command line ---------------------------------------------------------------------------

def test_cli_mixes_sources_and_takes_the_mouth_video_sound(run_cli, media_dir, out_dir):
    from emoface.io.audio import load_audio
    from emoface.io.video import video_info

    v = media_dir / "video"
    out, curves = out_dir / "mix.mp4", out_dir / "mix.json"
    status, _, err = run_cli("reenact", media_dir / "images" / "vintage_colorized_einstein.jpg",
                             "--expression-from", v / SURPRISED, "--pose-from", v / "theresa_may_address_5s.mp4",
                             "--mouth-from", v / "hdtf_aoc_8s.mp4", "-o", out, "--size", "128",
                             "--export-curves", curves)
    assert status == 0, err
    info = video_info(out)
    assert info.frame_count == video_info(v / SURPRISED).frame_count and info.has_audio
    assert load_audio(out).duration_s == pytest.approx(info.duration_s, abs=0.1)   # cut to the picture
    import json

    assert json.loads(curves.read_text())["frame_count"] == info.frame_count


@pytest.mark.parametrize("extra, message", [
    (["--mouth-from", "{clip}", "--audio", "{clip}"], "not allowed with"),
    (["--level", "2"], "--level needs --emotion"),
    (["--transcript", "hello"], "--audio only"),
    (["--emotion", "hapy"], "unknown emotion"),
])
def test_cli_refuses_bad_options_with_one_line(run_cli, media_dir, out_dir, extra, message):
    clip = media_dir / "video" / NEUTRAL
    out = out_dir / "x.mp4"
    args = [a.format(clip=clip) for a in extra]
    status, _, err = run_cli("reenact", media_dir / "images" / "vintage_colorized_einstein.jpg",
                             "--expression-from", clip, "-o", out, *args)
    assert status == 2 and message in err and err.count("\n") == 1
    assert not out.exists()


def test_cli_never_overwrites_an_input_and_reports_missing_videos(run_cli, media_dir, tmp_path):
    import shutil

    clip = tmp_path / "clip.mp4"
    shutil.copy(media_dir / "video" / NEUTRAL, clip)
    before = clip.read_bytes()
    portrait = media_dir / "images" / "vintage_colorized_einstein.jpg"
    status, _, err = run_cli("reenact", portrait, "--expression-from", clip, "-o", clip)
    assert status == 2 and "refusing to overwrite" in err and clip.read_bytes() == before
    status, _, err = run_cli("reenact", portrait, "--expression-from", tmp_path / "none.mp4", "-o", tmp_path / "o.mp4")
    assert status == 2 and "no such file" in err and not (tmp_path / "o.mp4").exists()
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    status, _, err = run_cli("reenact", portrait, "--expression-from", fake, "-o", tmp_path / "o.mp4")
    assert status == 2 and err.startswith("emoface: error:") and not (tmp_path / "o.mp4").exists()
    status, _, err = run_cli("reenact", portrait, "--expression-from", portrait, "-o", tmp_path / "o.mp4")
    assert status == 2 and "single image" in err and not (tmp_path / "o.mp4").exists()


def test_a_photo_can_lend_its_expression_to_a_video_driven_portrait(media_dir, tmp_path):
    """LES-Talker's AU source can be one image: the expression is held while the pose and
    mouth come from a video, whose length the output takes."""
    from emoface.io.images import load_image, save_image
    from emoface.io.video import video_info
    from emoface.pipeline import prepare, render_expression
    from emoface.reenactment import reenact

    smiling = tmp_path / "smile.png"
    painting = prepare(load_image(media_dir / "images" / "painting_chinese_imperial_portrait.png"), 256)
    save_image(smiling, render_expression(painting, "happy", 3.0))
    clip = media_dir / "video" / NEUTRAL
    result = reenact(media_dir / "images" / "vintage_colorized_einstein.jpg", smiling, tmp_path / "o.mp4",
                     mouth_from=clip, pose_from=clip, size=128)
    assert video_info(tmp_path / "o.mp4").frame_count == video_info(clip).frame_count
    assert result.expression.deltas[:, K12].min() > 2.0
