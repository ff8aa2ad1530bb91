"""Frames rendered on several threads are the frames rendered one by one, in the same order."""
import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("needs_core")


@pytest.fixture(scope="module")
def talking(astronaut_rgb):
    """The astronaut at 384 px and 12 frames of a varying mouth and head (all different)."""
    from emoface.pipeline import prepare
    from emoface.rig.deform import deform
    from emoface.types import RigParams
    from emoface.vocab import AU_IDS, MOUTH_CONTROLS

    prepared = prepare(astronaut_rgb, size=384)
    points = []
    for i in range(12):
        mouth = np.zeros(len(MOUTH_CONTROLS), np.float32)
        mouth[MOUTH_CONTROLS.index("jaw_open")] = 0.6 * (i % 4) / 3
        params = RigParams(au_delta=np.zeros((len(AU_IDS), 2), np.float32), mouth=mouth,
                           head_rotation=np.array([0.02 * i, -0.01 * i, 0.0], np.float32))
        points.append(deform(prepared.analysis, params, prepared.fit))
    return prepared.render_source, points


def test_threaded_frames_equal_serial_frames_in_order(talking):
    from emoface.render.compose import render_frame
    from emoface.render.frames import render_frames

    source, points = talking
    serial = [render_frame(source, p) for p in points]
    assert not np.array_equal(serial[0], serial[5])     # the frames differ, so order matters
    threaded = list(render_frames(source, iter(points), threads=3))
    assert len(threaded) == len(serial)
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


def test_a_failing_frame_raises_and_stops_the_stream(talking):
    from emoface.render.frames import render_frames

    source, points = talking
    bad = points[:3] + [np.full_like(points[0], np.nan)] + points[3:]
    got = []
    with pytest.raises(ValueError, match="non-finite"):
        for frame in render_frames(source, bad, threads=2):
            got.append(frame)
    assert len(got) == 3                                # every frame before the bad one came out


def test_small_frames_render_on_one_thread():
    from emoface.render.frames import default_threads

    assert default_threads((256, 256, 3)) == 1
    assert default_threads((512, 512, 3)) >= 1
