"""Keyframe files (--emotion keys.json / keys.csv) mean exactly what the inline timeline means,
and a bad file is one error line naming the file and the line; express with a timeline makes a
silent video of the right length."""
from __future__ import annotations

import json

import numpy as np
import pytest

from emoface.control.keyframes import load_keyframes
from emoface.control.les import target_aus
from emoface.control.timeline import parse_timeline, timeline_aus
from emoface.errors import InputError

INLINE = "0:neutral 1.2:happy@2.5 2:sad 3.1:happy@1+surprised@1.5 4:neutral@1"
JSON_KEYS = [
    {"time": 0, "emotion": "neutral"},
    {"time": 1.2, "emotion": "happy", "level": 2.5},
    {"time_s": 2, "emotion": "sad", "note": "level defaults to 2 as inline"},
    {"time": 3.1, "emotion": "happy@1+surprised@1.5"},
    {"time": 4, "emotion": "neutral", "level": 1},
]
CSV_TEXT = """# emotion keys
time,emotion,level
0,neutral,
1.2,happy,2.5

2,sad
3.1,happy@1+surprised@1.5,
4,neutral,1
"""


def _track(keys):
    source = np.zeros((17, 2), np.float32)
    return timeline_aus(keys, 150, 25.0, lambda e, lv: target_aus(source, e, lv), 0.4)


def test_json_and_csv_give_the_inline_timelines_au_track(tmp_path):
    (tmp_path / "k.json").write_text(json.dumps(JSON_KEYS, indent=2))
    (tmp_path / "k.csv").write_text(CSV_TEXT)
    (tmp_path / "wrapped.json").write_text(json.dumps({"comment": "x", "keys": JSON_KEYS[::-1]}))
    inline = parse_timeline(INLINE)
    for name in ("k.json", "k.csv", "wrapped.json"):
        keys = load_keyframes(tmp_path / name)
        assert keys == inline, name
        assert np.array_equal(_track(keys), _track(inline)), name
    assert inline[2].level == 2.0 and inline[0].level == 0.0   # the defaults both forms share


@pytest.mark.parametrize("name, text, line, words", [
    ("a.json", '[\n {"time": 0, "emotion": "happy"},\n {"time": 1, "emotion": "hapy"}\n]', 3, "unknown emotion 'hapy'"),
    ("b.json", '[\n {"time": 0, "emotion": "happy"},\n {"time": 1 "emotion": "sad"}\n]', 3, "not valid JSON"),
    ("c.json", '[{"time": 0, "emotion": "happy"},\n {"tme": 1, "emotion": "sad"}]', 2, "unknown field 'tme'"),
    ("d.json", '[{"time": 0, "emotion": "happy"},\n\n {"time": -1, "emotion": "sad"}]', 3, ">= 0"),
    ("e.json", '{"keys": [\n {"time": 0, "emotion": "happy", "level": "high"}]}', 2, "level must be a number"),
    ("f.csv", "time,emotion,level\n0,happy,2\n1.5,sad,x\n", 3, "level must be a number"),
    ("g.csv", "0,happy\n\n1,angy,2\n", 3, "unknown emotion 'angy'"),
    ("h.csv", "0,happy,2,9\n", 1, "expected time,emotion[,level]"),
    ("i.csv", "time,feeling\n0,happy\n", 1, "header"),
    ("j.csv", "soon,happy\n", 1, "time must be a number"),
])
def test_a_bad_file_names_the_file_and_line(tmp_path, name, text, line, words):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_keyframes(path)
    message = str(caught.value)
    assert f"{path}, line {line}:" in message and words in message and "\n" not in message


def test_missing_or_empty_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_keyframes(tmp_path / "nope.json")
    (tmp_path / "empty.csv").write_text("# nothing\n")
    with pytest.raises(InputError, match="no emotion keys"):
        load_keyframes(tmp_path / "empty.csv")


def test_cli_reports_a_bad_keyframe_file_in_one_line(tmp_path, run_cli, astronaut_rgb):
    from emoface.io.images import save_image

    save_image(tmp_path / "a.png", astronaut_rgb)
    (tmp_path / "k.csv").write_text("0,neutral\n1,hapy@2\n")
    status, _, err = run_cli("say", tmp_path / "a.png", "hi", "-o", tmp_path / "o.mp4", "--emotion", tmp_path / "k.csv")
    assert status == 2 and err.count("\n") == 1 and f"{tmp_path / 'k.csv'}, line 2" in err and "hapy" in err
    status, _, err = run_cli("express", tmp_path / "a.png", "-o", tmp_path / "o.png", "--emotion", tmp_path / "x.json")
    assert status == 2 and "not found" in err
    assert not (tmp_path / "o.mp4").exists() and not (tmp_path / "o.png").exists()


def test_express_timeline_to_png_says_to_use_a_video(tmp_path, run_cli, astronaut_rgb):
    from emoface.io.images import save_image

    save_image(tmp_path / "a.png", astronaut_rgb)
    status, _, err = run_cli("express", tmp_path / "a.png", "-o", tmp_path / "o.png", "--emotion", "0:neutral 1:happy@3")
    assert status == 2 and ".mp4" in err and "video" in err and not (tmp_path / "o.png").exists()


def test_express_timeline_video_has_the_right_length_and_changes(tmp_path, run_cli, astronaut_rgb):
    import av

    from emoface.io.images import save_image
    from emoface.io.video import read_video

    save_image(tmp_path / "a.png", astronaut_rgb)
    (tmp_path / "k.json").write_text(json.dumps([{"time": 0, "emotion": "neutral"},
                                                 {"time": 0.6, "emotion": "happy", "level": 3}]))
    out = tmp_path / "t.mp4"
    status, _, err = run_cli("express", tmp_path / "a.png", "-o", out, "--emotion", tmp_path / "k.json",
                             "--transition", "0.2", "--duration", "1.6", "--size", "256",
                             "--export-curves", tmp_path / "c.json", "--export-les", tmp_path / "l.csv")
    assert status == 0, err
    with av.open(str(out)) as container:
        assert len(container.streams.audio) == 0                    # silent
        stream = container.streams.video[0]
        assert float(stream.average_rate) == 25.0
    frames = np.stack(list(read_video(out)))
    assert len(frames) == 40                                        # 1.6 s at 25 fps
    # the face changes after the key and not before it
    def changed(a, b):  # share of pixels that moved by more than 12 grey levels
        return (np.abs(frames[a].astype(int) - frames[b].astype(int)) > 12).mean()

    assert changed(5, 0) < 0.0002 and changed(30, 5) > 0.002   # the face is ~1/6 of the frame
    curves = json.loads((tmp_path / "c.json").read_text())
    smile = np.array(curves["aus"])[:, curves["au_ids"].index(12)]
    assert smile[:14].max() < 0.5 and smile[22:].min() > 4.0       # happy@3: AU12 5.0 (10 % off-key)
    les = (tmp_path / "l.csv").read_text().splitlines()
    assert len(les) == 41 and les[1].split(",")[2] == "neutral" and les[-1].split(",")[2] == "happy"


def test_two_keys_at_one_time_are_refused_naming_both(tmp_path):
    """Which of two keys at one time should show is ambiguous (the last listed used to win)."""
    with pytest.raises(InputError, match=r"two keys at 1\.5 s \(happy@2 and sad@1\)"):
        parse_timeline("0:neutral 1.5:happy@2 1.5:sad@1")
    (tmp_path / "k.csv").write_text("time,emotion,level\n0,neutral,0\n1.5,happy,2\n1.5,sad,1\n")
    with pytest.raises(InputError, match=r"k\.csv has two keys at 1\.5 s"):
        load_keyframes(tmp_path / "k.csv")
    assert len(parse_timeline("0:neutral 1.5:happy@2 1.6:sad@1")) == 3
