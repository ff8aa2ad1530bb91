"""The `emoface` command line, tested through exit codes, stderr and the files it leaves.

Two kinds of test: `fake_core` swaps `emoface.pipeline` for a stand-in that only shifts colours
(so CLI plumbing, grids and error paths are tested without the renderer), and `needs_core` tests
run the real analysis + rendering once `emoface.pipeline` exists.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emoface.errors import InputError
from emoface.io.images import load_image
from emoface.vocab import EMOTIONS

REPO = Path(__file__).resolve().parents[1]


def assert_one_error_line(err: str, *fragments: str) -> None:
    """stderr ends in exactly one `emoface: error: ...` line containing every fragment."""
    lines = [line for line in err.splitlines() if line.startswith("emoface: error:")]
    assert len(lines) == 1, err
    assert err.rstrip().endswith(lines[0]), err  # the error is the last thing printed
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def only_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def fake_core(monkeypatch):
    """Replace `emoface.pipeline` with a recorder: prepare() keeps the image, render_expression()
    tints it by emotion and level, express() does both (and resizes for `size`)."""
    calls = types.SimpleNamespace(prepare=[], render=[], express=[])

    def check(emotion, level, aus):
        if emotion is not None and emotion not in EMOTIONS:
            raise InputError(f"unknown emotion '{emotion}'")
        if level < 0:
            raise InputError("level must be >= 0")

    def prepare(image, size=None, lines=True):
        calls.prepare.append((image.shape, size) + (() if lines else ("no-lines",)))
        if size:
            scale = size / max(image.shape[:2])
            image = np.asarray(Image.fromarray(image).resize(
                (round(image.shape[1] * scale), round(image.shape[0] * scale))))
        return types.SimpleNamespace(image=image)

    def render_expression(prepared, emotion, level, aus=None):
        check(emotion, level, aus)
        calls.render.append((emotion, level, aus))
        out = prepared.image.astype(np.int16)
        out[..., (EMOTIONS.index(emotion) if emotion else 0) % 3] += int(20 * level)
        return np.clip(out, 0, 255).astype(np.uint8)

    def express(image, emotion="neutral", level=0.0, aus=None, size=None, refine=False, lines=True):
        calls.express.append((emotion, level, aus, size) + (("refine",) if refine else ())
                             + (() if lines else ("no-lines",)))
        return render_expression(prepare(image, size), emotion, level, aus)

    fake = types.ModuleType("emoface.pipeline")
    fake.prepare, fake.render_expression, fake.express = prepare, render_expression, express
    monkeypatch.setitem(sys.modules, "emoface.pipeline", fake)
    return calls


@pytest.fixture
def astronaut_png(tmp_path, astronaut_rgb) -> Path:
    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut_rgb).save(path)
    return path


# --- parsing and usage errors (no core needed) ---------------------------------------------

def test_help_and_version(run_cli):
    status, out, _ = run_cli("--help")
    assert status == 0 and "express" in out and "grid" in out and "demo" in out
    status, out, _ = run_cli("express", "--help")
    assert status == 0 and "--emotion" in out and "--au" in out and "--size" in out
    status, out, _ = run_cli("--version")
    assert status == 0 and out.startswith("emoface ")


def test_no_command_is_a_usage_error(run_cli):
    status, _, err = run_cli()
    assert status == 2
    assert_one_error_line(err, "COMMAND")


@pytest.mark.parametrize("args, fragments", [
    (["--emotion", "hapy"], ["unknown emotion 'hapy'", "did you mean 'happy'"]),
    (["--emotion", "joyful"], ["unknown emotion 'joyful'", "surprised"]),
    (["--emotion", "sad", "--level", "-1"], ["level must be >= 0"]),
    (["--emotion", "sad", "--level=-0.5"], ["level must be >= 0"]),
    (["--level", "nan"], ["finite"]),
    (["--level", "two"], ["must be a number"]),
    (["--au", "13=+2"], ["unknown AU 13"]),
    (["--au", "12"], ["AU edit must look like"]),
    (["--au", "12X=1"], ["AU edit must look like"]),
    (["--au", "12=lots"], ["must be a number"]),
    (["--size", "10"], ["size must be between"]),
    (["--size", "big"], ["whole number"]),
])
def test_bad_arguments(run_cli, tmp_path, fake_core, astronaut_png, args, fragments):
    out = tmp_path / "out.png"
    status, _, err = run_cli("express", astronaut_png, "-o", out, *args)
    assert status == 2
    assert_one_error_line(err, *fragments)
    assert not out.exists()
    assert not fake_core.express


def test_cli_size_bounds_are_the_pipelines(needs_core):
    """The parser keeps its own copies of the size bounds and video suffixes (to stay light);
    they must not drift from what the pipeline and the video writer accept."""
    import emoface.cli as cli
    from emoface import cli_talk, pipeline
    from emoface.io.video import VIDEO_FORMATS

    assert (cli.MIN_SIZE_PX, cli.MAX_SIZE_PX) == (pipeline.MIN_SIZE_PX, pipeline.MAX_SIZE_PX)
    assert set(cli_talk.VIDEO_SUFFIXES) == set(VIDEO_FORMATS)
    from emoface.drive.tts import RATE_WPM_RANGE

    low, high = RATE_WPM_RANGE
    assert cli_talk._rate(str(low)) == low and cli_talk._rate(str(high)) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(argparse.ArgumentTypeError):
            cli_talk._rate(str(bad))
    for bad in (pipeline.MIN_SIZE_PX - 1, pipeline.MAX_SIZE_PX + 1, 256.0):
        with pytest.raises(InputError, match="size must be an integer"):
            pipeline.check_size(bad)
    pipeline.check_size(pipeline.MIN_SIZE_PX)


def test_missing_output_option(run_cli, astronaut_png):
    status, _, err = run_cli("express", astronaut_png, "--emotion", "happy")
    assert status == 2
    assert_one_error_line(err, "-o/--output")


# --- bad files (no core needed: all fail before rendering) ---------------------------------

def test_missing_input(run_cli, tmp_path, fake_core):
    status, _, err = run_cli("express", tmp_path / "ghost.jpg", "-o", tmp_path / "o.png")
    assert status == 2
    assert_one_error_line(err, "ghost.jpg", "no such file")
    assert only_files(tmp_path) == []


def test_text_file_renamed_png(run_cli, tmp_path, fake_core):
    fake = tmp_path / "face.png"
    fake.write_text("not a png\n")
    status, _, err = run_cli("express", fake, "-o", tmp_path / "o.png", "--emotion", "happy")
    assert status == 2
    assert_one_error_line(err, "face.png", "not an image")
    assert only_files(tmp_path) == ["face.png"]


def test_image_over_100_megapixels(run_cli, tmp_path, fake_core, png_header_only):
    huge = png_header_only(tmp_path / "huge.png", 11_000, 10_000)
    status, _, err = run_cli("grid", huge, "-o", tmp_path / "sheet.png")
    assert status == 2
    assert_one_error_line(err, "huge.png", "megapixels")
    assert only_files(tmp_path) == ["huge.png"]


@pytest.mark.parametrize("name, hint", [("out.bmp", "use .png"), ("out", "use .png"),
                                        ("out.mp4", "give a timeline")])
def test_unknown_output_extension(run_cli, tmp_path, fake_core, astronaut_png, name, hint):
    """A still with a video name is told how to make a video instead."""
    status, _, err = run_cli("express", astronaut_png, "-o", tmp_path / name, "--emotion", "happy")
    assert status == 2
    assert_one_error_line(err, hint)
    assert not (tmp_path / name).exists()
    assert not fake_core.express


def test_output_directory_missing(run_cli, tmp_path, fake_core, astronaut_png):
    status, _, err = run_cli("express", astronaut_png, "-o", tmp_path / "nodir" / "o.png")
    assert status == 2
    assert_one_error_line(err, "does not exist")


@pytest.mark.parametrize("command", ["express", "grid"])
def test_refuses_to_overwrite_the_input(run_cli, tmp_path, fake_core, astronaut_png, command):
    before = astronaut_png.read_bytes()
    alias = tmp_path / "sub" / ".." / astronaut_png.name
    (tmp_path / "sub").mkdir()
    for target in (astronaut_png, alias):
        status, _, err = run_cli(command, astronaut_png, "-o", target)
        assert status == 2
        assert_one_error_line(err, "refusing to overwrite the input file")
    assert astronaut_png.read_bytes() == before
    assert only_files(tmp_path) == ["astronaut.png", "sub"]
    assert not fake_core.render


def test_core_errors_become_one_line_and_leave_no_file(run_cli, tmp_path, monkeypatch, astronaut_png):
    from emoface.errors import NoFaceError

    def express(*args, **kwargs):
        raise NoFaceError("no face found in the image")

    monkeypatch.setitem(sys.modules, "emoface.pipeline", types.SimpleNamespace(express=express))
    status, _, err = run_cli("express", astronaut_png, "-o", tmp_path / "o.png", "--emotion", "fear")
    assert status == 2
    assert_one_error_line(err, "no face found")
    assert only_files(tmp_path) == ["astronaut.png"]


def test_ctrl_c_is_one_line_and_exit_130(run_cli, tmp_path, monkeypatch, astronaut_png):
    def express(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "emoface.pipeline", types.SimpleNamespace(express=express))
    status, _, err = run_cli("express", astronaut_png, "-o", tmp_path / "o.png", "--emotion", "fear")
    assert status == 130
    assert err.strip() == "emoface: interrupted; no partial output was left behind"
    assert only_files(tmp_path) == ["astronaut.png"]


def test_kill_is_one_line_exit_143_and_no_temporary_file(run_cli, tmp_path, monkeypatch, astronaut_png):
    """A plain `kill` (SIGTERM) cleans up like Ctrl-C: before, the process ended without running
    atomic_output's clean-up and left a hidden .NAME.xxxx.tmp.mp4 beside the output."""
    import signal
    import time

    from emoface.io.images import atomic_output

    def express(*args, **kwargs):
        with atomic_output(tmp_path / "o.png"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)                  # the handler raises at the next bytecode
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setitem(sys.modules, "emoface.pipeline", types.SimpleNamespace(express=express))
    before = signal.getsignal(signal.SIGTERM)
    status, _, err = run_cli("express", astronaut_png, "-o", tmp_path / "o.png", "--emotion", "fear")
    assert status == 143
    assert err.strip() == "emoface: terminated; no partial output was left behind"
    assert only_files(tmp_path) == ["astronaut.png"]
    assert signal.getsignal(signal.SIGTERM) is before   # restored for the caller


@pytest.mark.parametrize("args, fragment", [
    (["--seed", "-5"], "--seed: seed must be between 0 and"),
    (["--rate", "0"], "--rate: rate must be between 80 and 450 words per minute"),
])
def test_say_options_out_of_range_name_the_option(run_cli, tmp_path, astronaut_png, args, fragment):
    status, _, err = run_cli("say", astronaut_png, "Hello.", "-o", tmp_path / "o.mp4", *args)
    assert status == 2
    assert_one_error_line(err, fragment)
    assert only_files(tmp_path) == ["astronaut.png"]


@pytest.mark.parametrize("option, name", [("--export-curves", "keys.json"), ("--export-les", "keys.csv")])
def test_an_export_never_overwrites_the_keyframe_file(run_cli, tmp_path, astronaut_png, option, name):
    keys = tmp_path / name
    keys.write_text('[{"time": 0, "emotion": "happy"}]' if name.endswith(".json") else "time,emotion\n0,happy\n")
    before = keys.read_bytes()
    status, _, err = run_cli("express", astronaut_png, "-o", tmp_path / "o.mp4", "--emotion", keys, option, keys)
    assert status == 2
    assert_one_error_line(err, "refusing to overwrite the input file", name)
    assert keys.read_bytes() == before


def test_demo_names_both_kinds_of_output(run_cli, tmp_path):
    status, _, err = run_cli("demo", "-o", tmp_path / "demo.webm")
    assert status == 2
    assert_one_error_line(err, ".mp4", ".png")
    assert only_files(tmp_path) == []


# --- the happy paths with a stand-in core ---------------------------------------------------

def test_express_passes_emotion_level_aus_and_size(run_cli, tmp_path, fake_core, astronaut_png):
    out = tmp_path / "o.jpg"
    status, _, err = run_cli("express", astronaut_png, "-o", out, "--emotion", "Surprised", "--level", "2.5",
                             "--au", "12=+2", "--au", "4=-1.5", "--au", "12L=1", "--au", "au12=0.5",
                             "--size", "200")
    assert status == 0, err
    assert fake_core.express == [("surprised", 2.5, {12: 2.5, 4: -1.5, "12L": 1.0}, 200)]
    assert load_image(out).shape == (200, 200, 3)
    assert only_files(tmp_path) == ["astronaut.png", "o.jpg"]
    assert run_cli("express", astronaut_png, "-o", tmp_path / "r.png", "--emotion", "sad", "--refine")[0] == 0
    assert fake_core.express[-1] == ("sad", 2.0, None, None, "refine")
    assert run_cli("express", astronaut_png, "-o", tmp_path / "n.png", "--emotion", "sad", "--no-lines")[0] == 0
    assert fake_core.express[-1] == ("sad", 2.0, None, None, "no-lines")


def test_express_defaults(run_cli, tmp_path, fake_core, astronaut_png):
    assert run_cli("express", astronaut_png, "-o", tmp_path / "a.png")[0] == 0
    assert run_cli("express", astronaut_png, "-o", tmp_path / "b.png", "--emotion", "sad")[0] == 0
    assert run_cli("express", astronaut_png, "-o", tmp_path / "c.webp", "--au", "45=5")[0] == 0
    # no --emotion: the portrait keeps its own expression (emotion None), only AU edits apply
    assert fake_core.express == [(None, 0.0, None, None), ("sad", 2.0, None, None),
                                 (None, 0.0, {45: 5.0}, None)]
    assert load_image(tmp_path / "a.png").shape == (512, 512, 3)


def test_verbose_reports_faces_and_au_readings(run_cli, tmp_path, fake_core, astronaut_png):
    pytest.importorskip("mediapipe")
    status, _, err = run_cli("express", "-v", astronaut_png, "-o", tmp_path / "o.png", "--emotion", "happy")
    assert status == 0, err
    assert "faces found: 1" in err and "AU readings" in err and "wrote" in err
    status, _, err = run_cli("-v", "express", astronaut_png, "-o", tmp_path / "o.png")
    assert status == 0 and "faces found: 1" in err


def test_quiet_without_verbose(run_cli, tmp_path, fake_core, astronaut_png):
    status, out, err = run_cli("express", astronaut_png, "-o", tmp_path / "o.png")
    assert status == 0 and out == "" and "emoface:" not in err


def test_grid_is_8_emotions_by_5_levels(run_cli, tmp_path, fake_core, astronaut_png):
    pytest.importorskip("mediapipe")
    out = tmp_path / "sheet.png"
    status, _, err = run_cli("grid", astronaut_png, "-o", out)
    assert status == 0, err
    assert len(fake_core.prepare) == 1  # analysed once, rendered 40 times
    assert [(e, lv) for e, lv, _ in fake_core.render] == [(e, float(lv)) for e in EMOTIONS for lv in range(5)]
    sheet = load_image(out)
    assert 8 * 256 < sheet.shape[0] < 8 * 256 + 400 and 5 * 256 < sheet.shape[1] < 5 * 256 + 400
    assert "40/40" in err  # the tqdm bar went to stderr


def test_grid_options(run_cli, tmp_path, fake_core, astronaut_png):
    pytest.importorskip("mediapipe")
    status, _, err = run_cli("grid", astronaut_png, "-o", tmp_path / "s.png", "--emotions", "happy,sad",
                             "--levels", "0,1.5", "--thumb", "96", "--crop", "full", "--au", "12=1",
                             "--no-lines")
    assert status == 0, err
    assert fake_core.prepare[-1][-1] == "no-lines"
    assert fake_core.render == [("happy", 0.0, {12: 1.0}), ("happy", 1.5, {12: 1.0}),
                                ("sad", 0.0, {12: 1.0}), ("sad", 1.5, {12: 1.0})]
    h, w = load_image(tmp_path / "s.png").shape[:2]
    assert 2 * 96 < h < 2 * 96 + 150 and 2 * 96 < w < 2 * 96 + 150


@pytest.mark.parametrize("args, fragment", [
    (["--emotions", ""], "at least one emotion"), (["--emotions", ","], "at least one emotion"),
    (["--levels", ""], "at least one level")])
def test_grid_needs_a_row_and_a_column(run_cli, tmp_path, fake_core, astronaut_png, args, fragment):
    """An empty list is a usage error before any work (it was a traceback after the analysis)."""
    status, _, err = run_cli("grid", astronaut_png, "-o", tmp_path / "s.png", *args)
    assert status == 2
    assert_one_error_line(err, fragment)
    assert not fake_core.prepare and not (tmp_path / "s.png").exists()


def test_reenact_names_a_timeline_as_such(run_cli, tmp_path, astronaut_png):
    status, _, err = run_cli("reenact", astronaut_png, "--expression-from", astronaut_png,
                             "-o", tmp_path / "r.mp4", "--emotion", "0:happy 1:sad")
    assert status == 2
    assert_one_error_line(err, "not a timeline")


def test_image_demo_needs_no_files(run_cli, tmp_path, fake_core, monkeypatch):
    pytest.importorskip("mediapipe")
    monkeypatch.chdir(tmp_path)
    status, _, err = run_cli("demo", "-o", "demo.png")
    assert status == 0, err
    assert only_files(tmp_path) == ["demo.png"]
    assert len(fake_core.render) >= 8
    status, _, err = run_cli("demo", "-o", tmp_path / "d.webp")
    assert status == 0 and (tmp_path / "d.webp").exists()


def test_python_dash_m_runs_the_cli(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    ok = subprocess.run([sys.executable, "-m", "emoface", "--version"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and ok.stdout.startswith("emoface ")
    bad = subprocess.run([sys.executable, "-m", "emoface", "express", str(tmp_path / "none.png"),
                          "-o", str(tmp_path / "o.png")], capture_output=True, text=True, env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("emoface: error: cannot read")


# --- with the real core (run once emoface.pipeline exists) ----------------------------------

def test_real_express(run_cli, needs_core, portrait_path, tmp_path):
    out = tmp_path / "happy.png"
    status, _, err = run_cli("express", portrait_path, "-o", out, "--emotion", "happy", "--level", "2.5")
    assert status == 0, err
    result = load_image(out)
    assert result.shape == load_image(portrait_path).shape
    status, _, err = run_cli("express", portrait_path, "-o", tmp_path / "s.png", "--emotion", "surprised",
                             "--au", "12=+2", "--au", "4=-1.5", "--size", "256")
    assert status == 0, err
    assert max(load_image(tmp_path / "s.png").shape[:2]) == 256


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_real_grayscale_and_rgba_portraits_work(run_cli, needs_core, portrait_path, tmp_path, mode):
    im = Image.open(portrait_path).convert(mode)
    if mode == "RGBA":  # transparent corners, opaque face
        alpha = np.full(im.size[::-1], 255, np.uint8)
        alpha[:40, :40] = 0
        im.putalpha(Image.fromarray(alpha))
    src = tmp_path / f"portrait_{mode}.png"
    im.save(src)
    status, _, err = run_cli("express", src, "-o", tmp_path / "o.png", "--emotion", "sad", "--level", "2")
    assert status == 0, err
    assert load_image(tmp_path / "o.png").shape == (im.size[1], im.size[0], 3)


def test_real_no_face(run_cli, needs_core, tmp_path):
    y, x = np.mgrid[0:256, 0:256]
    Image.fromarray(np.stack([x, y, 255 - x], -1).astype(np.uint8)).save(tmp_path / "gradient.png")
    status, _, err = run_cli("express", tmp_path / "gradient.png", "-o", tmp_path / "o.png", "--emotion", "happy")
    assert status == 2
    assert_one_error_line(err, "no face")
    assert not (tmp_path / "o.png").exists()


def test_real_1x1_png(run_cli, needs_core, tmp_path):
    Image.new("RGB", (1, 1), (120, 90, 80)).save(tmp_path / "dot.png")
    status, _, err = run_cli("express", tmp_path / "dot.png", "-o", tmp_path / "o.png")
    assert status == 2
    assert_one_error_line(err)
    assert not (tmp_path / "o.png").exists()


def test_real_face_under_64px(run_cli, needs_core, portrait_path, tmp_path):
    small = Image.open(portrait_path).resize((96, 96), Image.Resampling.LANCZOS)  # face ~50 px
    canvas = Image.new("RGB", (400, 400), (200, 200, 200))
    canvas.paste(small, (150, 150))
    canvas.save(tmp_path / "small_face.png")
    status, _, err = run_cli("express", tmp_path / "small_face.png", "-o", tmp_path / "o.png", "--emotion", "sad")
    assert status == 2
    assert_one_error_line(err, "px")
    assert not (tmp_path / "o.png").exists()


def test_real_unknown_emotion_from_python_api(needs_core, astronaut_rgb):
    import emoface

    with pytest.raises(InputError):
        emoface.express(astronaut_rgb, emotion="joyful", level=1.0)
    with pytest.raises(InputError):
        emoface.express(astronaut_rgb, emotion="happy", level=-1.0)
    with pytest.raises(InputError):
        emoface.express(astronaut_rgb, aus={13: 1.0})


def test_real_grid_subset(run_cli, needs_core, portrait_path, tmp_path):
    status, _, err = run_cli("grid", portrait_path, "-o", tmp_path / "g.png",
                             "--emotions", "happy,surprised", "--levels", "0,3", "--thumb", "128")
    assert status == 0, err
    sheet = load_image(tmp_path / "g.png")
    assert sheet.shape[0] > 2 * 128 and sheet.shape[1] > 2 * 128


# --- the contact sheet itself (pure layout, no models) --------------------------------------

def test_contact_sheet_layout(tiny_rgb):
    from emoface.viz import contact_sheet

    cells = [[tiny_rgb] * 3 for _ in range(2)]
    sheet = contact_sheet(cells, ["happy", "sad"], ["level 0", "level 1", "level 2"], title="t")
    assert sheet.dtype == np.uint8 and sheet.ndim == 3 and sheet.shape[2] == 3
    assert sheet.shape[0] > 2 * 24 and sheet.shape[1] > 3 * 32
    # the cells are pasted unchanged: the bottom-right one ends at the bottom-right corner, inset by the padding
    h, w = sheet.shape[:2]
    np.testing.assert_array_equal(sheet[h - 6 - 24:h - 6, w - 6 - 32:w - 6], tiny_rgb)
    assert (sheet[:, :20] < 128).any()  # row labels were drawn in the left margin
    with pytest.raises(ValueError, match="labels"):
        contact_sheet(cells, ["happy"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="shape"):
        contact_sheet([[tiny_rgb, tiny_rgb[:10]]], ["x"], ["a", "b"])


def test_face_crop_box_is_square_and_inside():
    from emoface.viz import face_crop_box

    points = np.array([[100.0, 50.0], [140.0, 110.0]])   # 40 x 60 px face
    assert face_crop_box(points, (400, 400), scale=2.0) == (60, 20, 180, 140)
    x0, y0, x1, y1 = face_crop_box(points, (400, 150), scale=2.0)  # pushed left by the right edge
    assert (x1 - x0, y1 - y0) == (120, 120) and x1 == 150
    x0, y0, x1, y1 = face_crop_box(points, (100, 400), scale=3.0)  # shrinks to the short side
    assert (x1 - x0, y1 - y0) == (100, 100) and (y0, y1) == (0, 100)
