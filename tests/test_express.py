"""End-to-end known answers on real portraits: identity, mouth interior, eyelids, levels."""
import numpy as np
import pytest

from emoface.types import RigParams
from emoface.vocab import AU_IDS, AU_INDEX

PORTRAITS = ("white_young_woman_elizabeth_olsen.jpg", "painting_chinese_imperial_portrait.png",
             "black_man_obama.jpg")


@pytest.fixture(scope="module", params=PORTRAITS)
def prepared(request, media_dir):
    from emoface.pipeline import prepare

    return prepare(str(media_dir / "images" / request.param), size=384)


def _au(**kwargs) -> RigParams:
    delta = np.zeros((len(AU_IDS), 2), np.float32)
    for name, value in kwargs.items():
        delta[AU_INDEX[int(name[2:])]] = value
    return RigParams(au_delta=delta)


def test_no_edit_returns_the_input(prepared):
    from emoface.pipeline import render_expression, render_params

    out = render_params(prepared, RigParams())
    assert np.abs(out.astype(int) - prepared.image).max() <= 1
    out = render_expression(prepared, None, 0.0, None)  # no emotion, no AU edits
    assert np.abs(out.astype(int) - prepared.image).max() <= 1


def _inner_mouth_pixels(image, landmarks):
    import cv2

    mask = np.zeros(image.shape[:2], np.uint8)
    from emoface.render.mouth import inner_lip_polygon

    cv2.fillPoly(mask, [np.round(inner_lip_polygon(landmarks)).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    return image[mask.astype(bool)]


def test_jaw_drop_shows_a_mouth_interior(prepared):
    """AU26 at 5: the new opening holds a dark cavity and bright teeth, not stretched lip."""
    from emoface.pipeline import render_params
    from emoface.rig.deform import deform

    params = _au(au26=5.0)
    out = render_params(prepared, params)
    landmarks = deform(prepared.analysis, params, prepared.fit)
    inside = _inner_mouth_pixels(out, landmarks).astype(np.float32).mean(1)
    assert inside.size > 30
    face = prepared.image[int(landmarks[1, 1]) - 5:int(landmarks[1, 1]) + 5,
                          int(landmarks[1, 0]) - 5:int(landmarks[1, 0]) + 5].mean()  # nose tip
    assert np.percentile(inside, 20) < 0.6 * face      # a dark cavity
    assert np.percentile(inside, 97) > 0.75 * face     # and light teeth


def test_teeth_reach_both_corners_alike_on_a_turned_head(prepared):
    """A smile showing teeth (AU12 5, AU25 4): the bright teeth reach the same share of each
    half of the mouth. On a turned head (Obama's, whose near half is 1.5x the far one) a row
    laid out on the mean half-width stopped at 38% of the near half and 55% of the far one,
    a dark gap at one corner only."""
    import cv2

    from emoface.analyze import topology as topo
    from emoface.pipeline import render_params
    from emoface.render.mouth import inner_lip_polygon
    from emoface.rig.deform import deform

    params = _au(au12=5.0, au25=4.0)
    out = render_params(prepared, params)
    landmarks = deform(prepared.analysis, params, prepared.fit)[:, :2]
    mask = np.zeros(out.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(inner_lip_polygon(landmarks)).astype(np.int32)], 1)
    ys, xs = np.nonzero(mask)
    grey = out[ys, xs].astype(np.float32).mean(1)
    teeth = grey > 0.85 * np.percentile(grey, 90)
    corner_a, corner_b = landmarks[list(topo.MOUTH_CORNERS_INNER)]
    centre = 0.5 * (landmarks[13] + landmarks[14])
    axis = (corner_b - corner_a) / np.linalg.norm(corner_b - corner_a)
    along = (np.stack([xs, ys], 1) - centre)[teeth] @ axis
    reach_a = -along.min() / -((corner_a - centre) @ axis)
    reach_b = along.max() / ((corner_b - centre) @ axis)
    assert abs(reach_a - reach_b) < 0.1, (reach_a, reach_b)


def test_teeth_are_rounded_crowns_not_a_slab():
    """Each drawn tooth's biting edge curves up into a notch at its seams and its face darkens
    towards them; in the middle of a tooth the edge is straight and the face at full light."""
    from emoface.render.mouth import TOOTH_SEAMS, tooth_crowns

    seams = [pos for pos, _ in TOOTH_SEAMS]
    middles = np.array([(a + b) / 2 for a, b in zip(seams, seams[1:] + [1.0])], np.float32)
    notch, shade = tooth_crowns(middles, TOOTH_SEAMS)
    assert np.allclose(notch, 0.0) and np.allclose(shade, 1.0)
    notch, shade = tooth_crowns(np.array(seams[1:], np.float32) - 1e-4, TOOTH_SEAMS)
    assert np.all(notch > 0.95) and np.all(shade < 0.85)


def test_small_teeth_are_drawn_without_beading():
    """Where a tooth is only a few pixels wide (the demo astronaut's lower row, ~4 px), its
    rounding and notches would turn the thin edge showing above the lower lip into a row of
    beads: they fade out with the tooth's width in pixels, and a large face keeps them."""
    from emoface.render.mouth import DETAIL_PX, LOWER_SEAMS, TOOTH_SEAMS, tooth_crowns, tooth_detail

    lower_tooth = LOWER_SEAMS[1][0] - LOWER_SEAMS[0][0]   # half-widths
    assert tooth_detail(LOWER_SEAMS, DETAIL_PX[0] / lower_tooth) == 0.0
    assert tooth_detail(LOWER_SEAMS, DETAIL_PX[1] / lower_tooth) == 1.0
    assert 0.0 < tooth_detail(LOWER_SEAMS, 20.0) < tooth_detail(TOOTH_SEAMS, 20.0) < 1.0
    ax = np.linspace(0.0, 0.99, 200, dtype=np.float32)
    notch, shade = tooth_crowns(ax, LOWER_SEAMS, detail=0.0)
    assert np.allclose(notch, 0.0) and np.allclose(shade, 1.0)         # a plain row
    notch, shade = tooth_crowns(ax, LOWER_SEAMS, detail=1.0)
    assert notch.max() > 0.9 and shade.min() < 0.8                      # full crowns


def test_blink_closes_the_eye(prepared):
    """AU45 at 5: the eyelid margins meet, and MediaPipe, re-analysing, sees closed eyes."""
    from emoface.analyze.landmarker import analyze_image
    from emoface.pipeline import render_params
    from emoface.rig.deform import deform
    from emoface.vocab import BLENDSHAPE_INDEX

    params = _au(au45=5.0)
    out = render_params(prepared, params)
    landmarks = deform(prepared.analysis, params, prepared.fit)
    src = prepared.analysis.landmarks_px
    assert np.linalg.norm(landmarks[159, :2] - landmarks[145, :2]) < 0.15 * np.linalg.norm(src[159, :2] - src[145, :2])
    blink = [BLENDSHAPE_INDEX["eyeBlinkLeft"], BLENDSHAPE_INDEX["eyeBlinkRight"]]
    before = prepared.analysis.blendshapes[blink].mean()
    after = analyze_image(out).blendshapes[blink].mean()
    assert after > max(0.35, before + 0.25), (before, after)  # MediaPipe tops out near 0.4-0.5 on painted-shut lids


def test_level_scales_the_displacement(prepared, monkeypatch):
    """LES levels are linear: measured from the relaxed face (level 0), the landmarks move
    further with each level, and level 4 continues the line through levels 2 and 3. (The rig's
    fold repair, `rig.untangle`, is a separate, non-linear stage with its own tests.)"""
    import emoface.rig.deform as deform_module
    from emoface.pipeline import expression_params
    from emoface.rig.deform import deform

    monkeypatch.setattr(deform_module, "UNTANGLE", False)

    def landmarks(level):
        return deform(prepared.analysis, expression_params(prepared, "surprised", level), prepared.fit)[:468, :2]

    relaxed = landmarks(0.0)
    at = {level: landmarks(level) for level in (1.0, 2.0, 3.0, 4.0)}
    moved = [np.linalg.norm(at[level] - relaxed, axis=1).mean() for level in (1.0, 2.0, 3.0, 4.0)]
    assert moved[0] < moved[1] < moved[2] < moved[3]
    step_23 = at[3.0] - at[2.0]
    step_34 = at[4.0] - at[3.0]
    assert np.abs(step_34 - step_23).max() < 0.05 * np.abs(step_23).max() + 0.5


def test_analysis_does_not_load_pyplot_yet_plots_still_work(tmp_path):
    """MediaPipe's drawing helpers import matplotlib.pyplot (~0.25 s of every cold command);
    analysis defers it, and plotting afterwards in the same process still gets the real pyplot."""
    import subprocess
    import sys

    code = f"""
import sys, skimage.data
from emoface.analyze.landmarker import analyze_image
analyze_image(skimage.data.astronaut())
assert "matplotlib.figure" not in sys.modules, "pyplot was imported by the analysis"
from emoface.viz.pyplot import pyplot
plt = pyplot("test")
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
fig.savefig({str(tmp_path / 'plot.png')!r})
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "plot.png").stat().st_size > 1000


def test_search_windows_cover_a_panorama_at_the_face_scale():
    """A 6000x800 panorama is searched again in 800 px squares, overlapping by half and reaching
    both ends; a square image is not searched twice whole; the search stays bounded."""
    from emoface.analyze.landmarker import SEARCH_MAX_WINDOWS, SEARCH_MIN_SIDE, search_windows

    levels = search_windows(800, 6000)
    assert [w[2] for w in levels[0]] == [800] * len(levels[0])
    starts = [w[0] for w in levels[0]]
    assert starts[0] == 0 and starts[-1] == 6000 - 800 and max(np.diff(starts)) <= 400
    assert all(side == 256 for _, _, side in search_windows(512, 512)[0])
    for shape in ((512, 512), (3000, 4000), (1080, 1920), (300, 5000)):
        windows = [w for level in search_windows(*shape) for w in level]
        assert len(windows) <= SEARCH_MAX_WINDOWS
        assert all(side >= SEARCH_MIN_SIDE and x + side <= shape[1] and y + side <= shape[0]
                   for x, y, side in windows)


def test_a_small_face_in_a_panorama_is_found(astronaut_rgb):
    """The astronaut (face ~90 px) in the middle of a 6000 px wide strip: shrunk whole for the
    detector she is ~4 px wide and was not found ("no face found"); the window search finds her,
    at the same place as on her own."""
    from emoface.analyze.landmarker import analyze_image

    strip = np.full((512, 6000, 3), 128, np.uint8)
    strip[:, 3100:3612] = astronaut_rgb
    own = analyze_image(astronaut_rgb).landmarks_px
    found = analyze_image(strip).landmarks_px
    assert np.abs(found[:468, :2] - own[:468, :2] - [3100, 0]).max() < 3.0


def test_the_window_search_does_not_take_colour_wheels_for_faces():
    """A 1920x1080 frame of tiled colour wheels has no face. Searched in windows, the landmarker
    found 12 "faces" in it (detector scores 0.52-0.65), and `express` painted a smiling mouth
    onto a wheel; now a window's face counts only when the detector confirms it."""
    import skimage.data

    from emoface.analyze.landmarker import analyze_image
    from emoface.errors import NoFaceError

    wheel = skimage.data.colorwheel()[..., :3]
    reps = (-(-1080 // wheel.shape[0]), -(-1920 // wheel.shape[1]), 1)
    frame = np.ascontiguousarray(np.tile(wheel, reps)[:1080, :1920])
    with pytest.raises(NoFaceError, match="no face found"):
        analyze_image(frame)
