"""`evaluate_video` and `emoface eval video` on small videos with known answers.

Videos are cut from the shared MEAD clip (256 px, 2 s) and re-encoded here: the clip against
itself, the same clip starting 3 frames late, a blurred copy, and a still portrait re-encoded.
"""
import json
import math

import numpy as np
import pytest

pytest.importorskip("dlib", reason="the judge extra (dlib) is not installed")

CLIP = "video/mead_W009_happy_256.mp4"
FRAMES = 50  # 2 s at 25 fps


def _write(path, frames, fps=25.0):
    from emoface.io.video import VideoWriter

    h, w = frames[0].shape[:2]
    with VideoWriter(path, fps, (w, h), crf=12) as vw:
        for f in frames:
            vw.write(f)
    return path


@pytest.fixture(scope="module")
def videos(media_dir, tmp_path_factory):
    import cv2

    from emoface.io.images import load_image
    from emoface.io.video import read_video

    clip = media_dir / CLIP
    if not clip.is_file():
        pytest.skip(f"{clip} is missing")
    tmp = tmp_path_factory.mktemp("eval_videos")
    frames = [f for _, f in zip(range(FRAMES), read_video(clip))]
    portrait = load_image(media_dir / "images" / "white_young_woman_elizabeth_olsen.jpg")
    still = cv2.resize(portrait, (256, 256), interpolation=cv2.INTER_AREA)
    return {
        "ref": _write(tmp / "ref.mp4", frames),
        "late": _write(tmp / "late.mp4", frames[:1] * 3 + frames[:-3]),
        "blurred": _write(tmp / "blurred.mp4", [cv2.GaussianBlur(f, (0, 0), 2.0) for f in frames[:10]]),
        "sharp": _write(tmp / "sharp.mp4", frames[:10]),
        "still": _write(tmp / "still.mp4", [still] * 8),
        "fps30": _write(tmp / "fps30.mp4", frames[:12], fps=30.0),
        "tmp": tmp,
    }


def test_video_against_itself(videos):
    from emoface.evaluate.video import evaluate_video

    m = evaluate_video(videos["ref"], reference=videos["ref"], emotion="happy", identity_samples=2).metrics
    assert m["frames"] == FRAMES and m["face_fraction"] == 1.0
    assert m["mouth_r"] == pytest.approx(1.0) and m["mouth_lag_frames"] == 0
    for key in ("m_lmd_px", "f_lmd_px", "m_lvd_px", "f_lvd_px"):
        assert m[key] == pytest.approx(0.0, abs=1e-6), key
    assert m["psnr_db"] == math.inf and m["ssim"] == pytest.approx(1.0)
    assert m["frames_compared"] == FRAMES
    assert 0.0 < m["cpbd"] < 1.0
    assert m["identity_distance"] < 0.6                    # against the reference's own faces
    assert m["judge_top_class"] == "happy" and m["judge_accuracy"] > 0.5


def test_three_frames_late(videos):
    from emoface.evaluate.video import evaluate_video

    m = evaluate_video(videos["late"], reference=videos["ref"], identity_samples=1).metrics
    assert m["mouth_lag_frames"] == 3
    assert m["mouth_r"] > 0.9
    assert m["m_lmd_px"] < 1.0                             # compared at the lag: nearly the same frames


def test_blurred_copy_is_less_sharp(videos):
    from emoface.evaluate.judging import judge_video

    sharp = np.nanmean(judge_video(videos["sharp"]).cpbd)
    blurred = np.nanmean(judge_video(videos["blurred"]).cpbd)
    assert blurred < 0.5 * sharp


def test_identity_same_person_closer_than_another(videos, media_dir):
    from emoface.evaluate.video import evaluate_video

    same = evaluate_video(videos["still"], portrait=media_dir / "images" / "white_young_woman_elizabeth_olsen.jpg")
    other = evaluate_video(videos["still"], portrait=media_dir / "images" / "black_man_obama.jpg")
    d_same, d_other = same.metrics["identity_distance"], other.metrics["identity_distance"]
    assert d_same < 0.6 < d_other
    assert same.metrics["mouth_r"] is None and same.metrics["judge_accuracy"] is None


def test_cli_eval_video_writes_json(run_cli, videos):
    out = videos["tmp"] / "late.json"
    status, stdout, err = run_cli("eval", "video", videos["late"], "--reference", videos["ref"],
                                  "--json", out, "--max-lag", "5", "--fid-stride", "0")  # FID: test_fid.py
    assert status == 0, err
    assert "mouth_lag_frames" in stdout
    data = json.loads(out.read_text())
    assert data["metrics"]["mouth_lag_frames"] == 3
    assert len(data["mouth_output"]) == FRAMES and data["inputs"]["max_lag_frames"] == 5


@pytest.mark.parametrize("case", ["missing", "not_video", "still", "contempt", "fps", "json_over_input", "no_face"])
def test_cli_eval_video_bad_input(run_cli, videos, media_dir, case):
    tmp = videos["tmp"]
    out = tmp / f"bad_{case}.json"
    args = {
        "missing": ["eval", "video", tmp / "nope.mp4", "--json", out],
        "not_video": ["eval", "video", media_dir / "audio" / "zh_aishell_BAC009S0724W0121.wav", "--json", out],
        "contempt": ["eval", "video", videos["ref"], "--emotion", "contempt", "--json", out],
        "fps": ["eval", "video", videos["fps30"], "--reference", videos["ref"], "--json", out],
        "json_over_input": ["eval", "video", videos["ref"], "--json", videos["ref"]],
        "no_face": ["eval", "video", videos["ref"], "--portrait", tmp.parent, "--json", out],
        "still": ["eval", "video", tmp / "still.png", "--json", out],    # a photo is not a 1-frame video
    }[case]
    if case == "still":
        import cv2

        cv2.imwrite(str(tmp / "still.png"), np.full((64, 64, 3), 128, np.uint8))
    if case == "no_face":
        import cv2

        blank = tmp / "blank.png"
        cv2.imwrite(str(blank), np.full((200, 200, 3), 128, np.uint8))
        args[4] = blank
    status, stdout, err = run_cli(*args)
    assert status == 2
    assert err.startswith("emoface: error: ") and err.count("\n") == 1, err
    assert not out.exists()
    if case == "still":
        assert "single picture, not a video" in err
