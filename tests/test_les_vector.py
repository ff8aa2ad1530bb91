"""The 41-dim LES vector (LES-Talker eqs. 2-14) and its CSV export: which columns move for an
emotion, that u is standardised over the documented data set, and that v isolates emotions."""
from __future__ import annotations

import numpy as np
import pytest

from emoface.control.les import emotion_aus
from emoface.control.les_vector import (EMOTION_SLOTS, SIGMA_D_FLOOR, column_names, les_statistics,
                                        les_vectors, prototype_vector)
from emoface.control.prototypes import prototype_table
from emoface.control.timeline import parse_timeline
from emoface.errors import InputError
from emoface.export.les import les_clip, load_les, save_les
from emoface.vocab import EMOTIONS

COLUMNS = column_names()


def col(name: str) -> int:
    return COLUMNS.index(name)


def test_columns_are_the_papers_41_in_order():
    assert len(COLUMNS) == 41 and len(set(COLUMNS)) == 41
    assert COLUMNS[0] == "u_AU1" and COLUMNS[16] == "u_AU45"              # e1..e17
    assert COLUMNS[17] == "v_AU1" and COLUMNS[33] == "v_AU45"             # e18..e34
    assert COLUMNS[34:] == [f"v_od_{e}" for e in EMOTION_SLOTS] and "neutral" not in EMOTION_SLOTS


def test_neutral_vs_happy_level_2_differ_only_in_happys_columns():
    neutral, happy = prototype_vector("neutral", 0.0), prototype_vector("happy", 2.0)
    moved = {COLUMNS[i] for i in np.nonzero(np.abs(happy - neutral) > 1e-9)[0]}
    # happy = AU6 + AU12 + AU25 (prototypes.LEVEL3): u and v of those AUs, and happy's od slot
    assert moved == {"u_AU6", "u_AU12", "u_AU25", "v_AU6", "v_AU12", "v_AU25", "v_od_happy"}
    assert np.all(neutral[17:] == 0)                     # neutral face: |AU| = 0, no emotion slot
    # documented values: an AU taking part gets 0.7 / 0.245 = 2.86 at level 2
    assert happy[col("v_AU12")] == pytest.approx(2.858, abs=0.01)
    assert happy[col("v_AU6")] == pytest.approx(happy[col("v_AU12")])
    od = np.linalg.norm(happy[17:34])                    # eq. 13
    assert happy[col("v_od_happy")] == pytest.approx(od)
    assert happy[col("u_AU12")] > 1.5 > neutral[col("u_AU12")] + 1.5


def test_u_is_standardised_over_the_22_injector_anchors():
    table = prototype_table().mean(-1)
    anchors = [table[0, 0]] + [table[e, lv] for e in range(1, 8) for lv in (1, 2, 3)]
    u = les_vectors(np.stack(anchors), np.eye(8)[[0] + [e for e in range(1, 8) for _ in range(3)]])[:, :17]
    assert np.allclose(u.mean(0), 0.0, atol=1e-6)
    used = np.stack(anchors).std(0) > 0
    assert np.allclose(u.std(0)[used], 1.0, atol=1e-6)
    # an AU that no emotion uses reads in units of the floor: 1 AU of it is u = 2, not 1e7
    unused = ~used
    au = np.zeros((1, 17))
    au[0, unused] = 1.0
    u_one = les_vectors(au, np.eye(8)[[0]])[0, :17]
    assert np.allclose(u_one[unused], 1.0 / SIGMA_D_FLOOR)
    stats = les_statistics()
    assert np.all(stats.sigma_emo > 0) and stats.sigma_emo.shape == (8, 17)


def test_levels_grow_along_a_line_and_emotions_keep_their_own_slot():
    for emotion in EMOTIONS[1:]:
        v1, v2, v3 = (prototype_vector(emotion, lv) for lv in (2.0, 3.0, 4.0))
        assert np.allclose(v3 - v2, v2 - v1, atol=1e-5)                  # eq. 8: linear in level
        slot = col(f"v_od_{emotion}")
        assert v2[slot] > 0 and np.count_nonzero(v2[34:]) == 1           # eq. 5: one-hot od
    # different emotions at the same od are at least od * sqrt(2) apart in the slots (eq. 16)
    a, b = prototype_vector("happy", 2.0), prototype_vector("sad", 2.0)
    assert np.linalg.norm(a[17:] - b[17:]) >= min(a[34:].max(), b[34:].max()) * np.sqrt(2) - 1e-9


def test_an_au_edit_on_a_neutral_face_shows_in_v_without_an_emotion_slot():
    aus = emotion_aus("neutral", 0.0).copy()
    aus[8] += 2.5                                       # AU12 +2.5 (index 8 in AU_IDS)
    w = les_vectors(aus[None], np.eye(8)[[0]])[0]
    assert w[col("v_AU12")] == pytest.approx(5.0)      # |2.5| / sigma floor 0.5
    assert np.all(w[34:] == 0)


def test_timeline_export_round_trips_and_eases_between_emotions(tmp_path):
    keys = parse_timeline("0:neutral 1:happy@3 2:sad@2")
    fps, n = 25.0, 80
    source = np.zeros((17, 2), np.float32)
    from emoface.control.les import target_aus
    from emoface.control.timeline import timeline_aus

    aus = timeline_aus(keys, n, fps, lambda e, lv: target_aus(source, e, lv), 0.4)
    clip = les_clip(aus, fps, keys, 0.4, "t")
    path = save_les(tmp_path / "t.csv", clip)
    back = load_les(path)
    assert back.vectors.shape == (n, 41) and np.allclose(back.vectors, clip.vectors, atol=1e-4)
    assert back.emotions[0] == "neutral" and back.emotions[40] == "happy" and back.emotions[-1] == "sad"
    assert back.levels[40] == pytest.approx(3.0) and back.levels[-1] == pytest.approx(2.0)
    happy_slot, sad_slot = col("v_od_happy"), col("v_od_sad")
    assert back.vectors[40, sad_slot] == 0 and back.vectors[-1, happy_slot] == 0
    mid = 50                                            # 2.0 s: halfway through the happy -> sad change
    assert back.vectors[mid, happy_slot] > 0 and back.vectors[mid, sad_slot] > 0
    assert np.all(np.abs(np.diff(back.vectors, axis=0)).max(0) < 3.0)   # no jumps: eased like the face


def test_a_csv_that_is_not_an_les_file_is_refused(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match=r"x.csv, line 1: not an emoface LES file"):
        load_les(bad)
    clip = les_clip(np.zeros((3, 17, 2)), 25.0, parse_timeline("0:neutral"), 0.3)
    good = save_les(tmp_path / "g.csv", clip)
    lines = good.read_text().splitlines()
    lines[2] = lines[2].replace("neutral", "happyish")
    good.write_text("\n".join(lines))
    with pytest.raises(InputError, match=r"g.csv, line 3: unknown emotion"):
        load_les(good)
