"""Emotion specs: mixtures (LES is linear, so injections add) and timelines."""
from __future__ import annotations

import numpy as np
import pytest

from emoface.control.les import injection, mixture_injection, parse_mixture, target_aus
from emoface.control.timeline import EmotionKey, parse_timeline, timeline_aus
from emoface.errors import InputError
from emoface.vocab import AU_INDEX


def test_mixture_parts_and_levels():
    assert parse_mixture("happy", 2.0) == [("happy", 2.0)]
    assert parse_mixture("Happy@1.5+surprised", 2.0) == [("happy", 1.5), ("surprised", 2.0)]
    for bad in ("hapy@1", "happy@x", "happy@-1", "happy+"):
        with pytest.raises(InputError):
            parse_mixture(bad, 1.0)


def test_a_mixture_adds_its_injections():
    source = np.zeros((17, 2), np.float32)
    mixed = target_aus(source, "happy@1.5+surprised@1", 0.0)
    expected = np.clip(injection("happy", 1.5) + injection("surprised", 1.0), -8, 8)
    assert np.allclose(mixed, expected, atol=1e-5)
    assert np.allclose(mixture_injection("sad", 2.0), injection("sad", 2.0))


def test_timeline_keys_and_easing():
    keys = parse_timeline("0:neutral, 1.5:happy@2 4:sad@1.5 6:happy@1+surprised@1")
    assert [k.time_s for k in keys] == [0.0, 1.5, 4.0, 6.0]
    assert keys[0] == EmotionKey(0.0, "neutral", 0.0) and keys[2] == EmotionKey(4.0, "sad", 1.5)
    assert keys[3].emotion == "happy@1+surprised@1"
    for bad in ("1.5happy", "x:happy", "-1:happy", "1:angy", ""):
        with pytest.raises(InputError):
            parse_timeline(bad)
    values = {"neutral": 0.0, "happy": 1.0}
    track = timeline_aus([EmotionKey(0, "neutral", 0), EmotionKey(1.0, "happy", 2)], 50, 25.0,
                         lambda e, lv: np.full((17, 2), values[e], np.float32), transition_s=0.4)
    assert np.all(track[:20] == 0) and np.all(track[30:] == 1)   # 0.4 s centred on the key (1 s)
    assert np.all(np.diff(track[:, 0, 0]) >= 0) and track[25, 0, 0] == pytest.approx(0.5)


def test_cli_express_takes_a_mixture(run_cli, tmp_path, astronaut_rgb):
    from emoface.io.images import save_image

    save_image(tmp_path / "a.png", astronaut_rgb)
    status, _, err = run_cli("express", tmp_path / "a.png", "-o", tmp_path / "m.png", "--emotion", "happy@2+surprised@1")
    assert status == 0, err and (tmp_path / "m.png").exists()
    status, _, err = run_cli("express", tmp_path / "a.png", "-o", tmp_path / "n.png", "--emotion", "hapy@2+sad")
    assert status == 2 and "did you mean 'happy'" in err and not (tmp_path / "n.png").exists()


def test_a_capped_intensity_is_reported_once(caplog):
    """--level 1000 or --au 12=+50 cannot go beyond AU_LIMIT: the user is told, not left guessing."""
    from emoface.control import les

    les._warn_capped.cache_clear()
    source = np.zeros((17, 2), np.float32)
    with caplog.at_level("WARNING", logger="emoface"):
        target_aus(source, "happy", 3.0)
        assert not caplog.records
        capped = target_aus(source, "happy", 1000.0)
        target_aus(source, "happy", 2000.0)
    assert np.abs(capped).max() == pytest.approx(les.AU_LIMIT)
    assert len(caplog.records) == 1 and "AU12" in caplog.text and "capped" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="emoface"):
        les._warn_capped.cache_clear()
        strong = np.full((17, 2), 7.5, np.float32)      # a portrait already near the limit
        target_aus(strong, None, 0.0)
        target_aus(strong, "surprised", 3.0)
    assert not caplog.records, "levels up to 3 never warn: the user asked for nothing beyond them"
    with caplog.at_level("WARNING", logger="emoface"):
        les._warn_capped.cache_clear()
        raised_brows = np.zeros((17, 2), np.float32)
        raised_brows[AU_INDEX[2]] = 4.0                 # outer brows already high (not relaxed)
        target_aus(raised_brows, "surprised", 3.0, {5: -2.0})
        assert not caplog.records, "an AU5 edit must not report the AU2 the portrait's own brows cap"
        target_aus(raised_brows, "surprised", 3.0, {2: 1.0})
    assert len(caplog.records) == 1 and "AU2 " in caplog.text and "AU5" not in caplog.text
