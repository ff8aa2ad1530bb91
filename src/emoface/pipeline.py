"""Wires the stages together (DESIGN.md data flow); no stage logic lives here.

    image --analyze--> FaceAnalysis --read_aus--> source AUs
    emotion spec --control (LES)--> target AUs --rig--> deformed landmarks --render--> frame
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .analyze.aus import read_aus
from .analyze.geometry_aus import lips_part_reading
from .analyze.landmarker import analyze_image
from .control.les import target_aus
from .errors import InputError
from .render.compose import RenderSource, render_frame
from .rig.deform import FaceFit, deform, fit_face
from .types import FaceAnalysis, RigParams
from .vocab import AU_INDEX, AU_MAX, MOUTH_INDEX

MIN_SIZE_PX, MAX_SIZE_PX = 64, 8192   # long side a render may be asked for (`--size`)


@dataclass(frozen=True)
class Prepared:
    """A portrait analysed once, ready for many renders.

    analysis: the face in the (possibly resized) image; source_aus: [17, 2] its own AU reading;
    fit: canonical->image similarity; render_source: the renderer's cached state.
    """

    analysis: FaceAnalysis
    source_aus: np.ndarray
    fit: FaceFit
    render_source: RenderSource

    @property
    def image(self) -> np.ndarray:
        return self.render_source.image


def _as_rgb(image) -> np.ndarray:
    from .io.images import load_image

    return load_image(image)


def check_size(size) -> None:
    """Raise InputError unless `size` (a long side asked for, px) is an integer in
    MIN_SIZE_PX..MAX_SIZE_PX."""
    if not isinstance(size, (int, np.integer)) or not MIN_SIZE_PX <= size <= MAX_SIZE_PX:
        raise InputError(f"size must be an integer between {MIN_SIZE_PX} and {MAX_SIZE_PX} px, got {size!r}")


def _resize_long_side(rgb: np.ndarray, size: int | None) -> np.ndarray:
    if size is None:
        return rgb
    check_size(size)
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    if scale == 1.0:
        return rgb
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


def prepare(image, size: int | None = None, lines: bool = True) -> Prepared:
    """Load (path or RGB uint8 array), analyse at source resolution, resize (long side px);
    lines: whether renders shade expression lines (`render.creases`)."""
    original = _as_rgb(image)
    analysis = analyze_image(original)
    rgb = _resize_long_side(original, size)
    if rgb.shape != original.shape:
        analysis = analysis.resized(rgb.shape[:2])
    fit = fit_face(analysis)
    return Prepared(analysis, read_source_aus(analysis, fit), fit,
                    RenderSource.create(rgb, analysis.landmarks_px, fit, lines))


def read_source_aus(analysis: FaceAnalysis, fit: FaceFit) -> np.ndarray:
    """[17, 2] the portrait's own AUs: blendshape readings, with AU25 (lips part) measured from
    the inner-lip gap, which the blendshapes do not report in rig units."""
    aus = read_aus(analysis.blendshapes)
    k25, k26 = AU_INDEX[25], AU_INDEX[26]
    aus[k25] = min(lips_part_reading(analysis, float(aus[k26].mean()), fit), AU_MAX)
    return aus


def render_params(prepared: Prepared, params: RigParams) -> np.ndarray:
    """Render rig parameters (deltas from the source) -> RGB uint8 [H, W, 3]."""
    landmarks = deform(prepared.analysis, params, prepared.fit)
    return render_frame(prepared.render_source, landmarks)


def warm_up(prepared: Prepared) -> None:
    """Render one throw-away frame (jaw half open, so the warp kernel and the mouth painting both
    run) to pay one-off costs now rather than on a video's first frame: loading the compiled
    warp kernel from numba's cache alone takes ~0.3 s. `animate` calls it while the speech is
    still being analysed on the other thread."""
    mouth = np.zeros(len(MOUTH_INDEX), np.float32)
    mouth[MOUTH_INDEX["jaw_open"]] = 0.5
    render_params(prepared, RigParams(mouth=mouth))


def expression_params(prepared: Prepared, emotion: str | None = "neutral", level: float = 0.0,
                      aus=None, refine: bool = False) -> RigParams:
    """Emotion spec -> rig parameters: target AUs minus the portrait's own (refine: EmoHead
    hyperplane refinement, `control.hyperplanes`)."""
    target = target_aus(prepared.source_aus, emotion, level, aus, refine=refine)
    return RigParams(au_delta=(target - prepared.source_aus).astype(np.float32))


def render_expression(prepared: Prepared, emotion: str | None = "neutral", level: float = 0.0,
                      aus=None, refine: bool = False) -> np.ndarray:
    """One expression of an analysed portrait -> RGB uint8 [H, W, 3]."""
    return render_params(prepared, expression_params(prepared, emotion, level, aus, refine))


def express(image, emotion: str | None = "neutral", level: float = 0.0, aus=None,
            size: int | None = None, refine: bool = False, lines: bool = True) -> np.ndarray:
    """See `emoface.express`."""
    expression_params_check(emotion, level, aus)
    return render_expression(prepare(image, size, lines), emotion, level, aus, refine)


def expression_params_check(emotion: str | None, level: float, aus) -> None:
    """Validate an emotion spec before any expensive work (raises InputError)."""
    from .control.les import mixture_injection, parse_au_edits

    if emotion is not None:
        mixture_injection(emotion, level)
    parse_au_edits(aus)
