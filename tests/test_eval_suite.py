"""`emoface eval suite --quick` on a tiny media folder: one portrait and one 2 s talking video
(160 px, cut from the shared Theresa May clip with its sound). Checks the report's files, that
unbuilt features say so instead of failing, and the CLI's error handling."""
import json

import pytest

pytest.importorskip("dlib", reason="the judge extra (dlib) is not installed")
pytest.importorskip("matplotlib", reason="the suite's plots need matplotlib (dev extra)")


@pytest.fixture(scope="module")
def tiny_media(media_dir, tmp_path_factory):
    import shutil

    import cv2

    from emoface.io.audio import save_wav
    from emoface.io.audio import load_audio
    from emoface.io.video import VideoWriter, read_video
    from emoface.types import Audio

    source = media_dir / "video" / "theresa_may_address_5s.mp4"
    portrait = media_dir / "images" / "white_young_woman_elizabeth_olsen.jpg"
    if not source.is_file() or not portrait.is_file():
        pytest.skip("shared media clips are missing")
    root = tmp_path_factory.mktemp("tiny_media")
    (root / "images").mkdir()
    (root / "video").mkdir()
    shutil.copy(portrait, root / "images")
    wav = root / "cut.wav"
    save_wav(wav, Audio(load_audio(source).samples[: 2 * 16000], 16000))
    with VideoWriter(root / "video" / "talk_2s.mp4", 25, (160, 160), audio_source=wav) as vw:
        for _, rgb in zip(range(50), read_video(source)):
            vw.write(cv2.resize(rgb, (160, 160), interpolation=cv2.INTER_AREA))
    wav.unlink()
    return root


def test_quick_suite_writes_the_report(run_cli, tiny_media, tmp_path):
    out = tmp_path / "report"
    status, stdout, err = run_cli("eval", "suite", "--media", tiny_media, "-o", out, "--quick")
    assert status == 0, err
    for name in ("report.md", "report.json", "express_accuracy.png", "express_probability.png",
                 "au_edits.png", "mouth_talk_2s.png", "videos/talk_2s_emoface.mp4"):
        assert (out / name).is_file(), name
    data = json.loads((out / "report.json").read_text())
    assert data["reenact"]["status"] == "ok", data["reenact"]          # issue 4's command exists
    assert data["edit"]["status"] == "ok", data["edit"]                # issue 5's command exists
    from emoface.evaluate.fid import fid_unavailable_reason

    if fid_unavailable_reason() is None:                               # the optional torch extra
        assert data["fid"]["status"] == "ok" and data["fid"]["fid"] > 0, data["fid"]
        assert data["fid"]["per_video"]["talk_2s.mp4"]["real_frames"] == 50
    else:
        assert data["fid"]["status"] == "skipped" and ".[torch]" in data["fid"]["note"]
    assert data["talking"]["status"] == "skipped"                      # no audio/ folder
    for name in ("express", "au_edits", "real_speakers", "real_clips"):
        assert data[name]["status"] == "ok", (name, data[name])
    run = data["real_speakers"]["runs"]["talk_2s.mp4"]["metrics"]
    assert run["face_fraction"] > 0.9 and run["mouth_r"] is not None
    report = (out / "report.md").read_text()
    assert "not built yet" not in report and "![mouth talk_2s.mp4](mouth_talk_2s.png)" in report
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]  # staging removed


def test_suite_bad_media_is_one_line_error(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    for media in (tmp_path / "missing", tmp_path / "empty"):
        status, _, err = run_cli("eval", "suite", "--media", media, "-o", tmp_path / "r")
        assert status == 2 and err.startswith("emoface: error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "r").exists()


def test_reenact_and_edit_sections_run_once_the_commands_exist(tiny_media, tmp_path, monkeypatch):
    """Stand-in commands that copy their source video: the sections measure and report them."""
    import shutil

    from emoface.evaluate import pending
    from emoface.evaluate.config import SuiteConfig
    from emoface.evaluate.media import Media

    def fake_command(argv, timeout_s):
        out = argv[argv.index("-o") + 1]
        source = argv[argv.index("--expression-from") + 1] if argv[0] == "reenact" else argv[1]
        shutil.copy(source, out)
        return True, ""

    monkeypatch.setattr(pending, "cli_commands", lambda: {"reenact", "edit"})
    monkeypatch.setattr(pending, "run_command", fake_command)
    video = tiny_media / "video" / "talk_2s.mp4"
    media = Media(tiny_media, tuple((tiny_media / "images").iterdir()), (), (video,), (video,))
    steps = []
    reenact = pending.run_reenact(media, SuiteConfig.quick(), lambda *a: steps.append(a), tmp_path,
                                  {"talk_2s.mp4": {"judge_top_class": "fear"}})
    pair = reenact["pairs"]["white_young_woman_elizabeth_olsen.jpg|talk_2s.mp4"]
    assert reenact["status"] == "ok" and pair["output_top_class"] is not None
    edit = pending.run_edit(media, SuiteConfig.quick(), lambda *a: steps.append(a), tmp_path)
    run = edit["runs"]["talk_2s.mp4|happy"]
    assert run["mouth_r"] == pytest.approx(1.0) and run["mouth_lag_frames"] == 0  # a copy of the input
    assert len(steps) == 2 and not list(tmp_path.glob("*.mp4"))
