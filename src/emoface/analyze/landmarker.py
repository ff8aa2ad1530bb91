"""MediaPipe FaceLandmarker -> `FaceAnalysis` for the largest face in an image.

Large images are analysed on a resized copy (long side <= ANALYSIS_MAX_SIDE) and the landmarks
scaled back, so 4K portraits cost the same as 1K ones.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import threading
import types

import cv2
import numpy as np

from ..errors import NoFaceError
from ..types import FaceAnalysis
from ..vocab import BLENDSHAPE_NAMES
from .model_files import face_landmarker_bytes, face_landmarker_member

ANALYSIS_MAX_SIDE = 1280
MIN_FACE_PX = 64
MAX_FACES = 4
# A landmarker face counts as real when the bundle's BlazeFace detector scores its box at least
# this high (textures such as windows can fool the landmarker, not the detector's score).
CONFIDENT_FACE = 0.75


_warmed_up = False  # first detect() done (with native start-up logs silenced)


class _PyplotOnFirstUse(types.ModuleType):
    """Stands in for matplotlib.pyplot in `sys.modules` until an attribute is used, then imports
    the real pyplot and hands every attribute on to it."""

    def __getattr__(self, name: str):
        real = self.__dict__.get("_real")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = self.__dict__["_real"] = importlib.import_module(self.__name__)
        return getattr(real, name)


def import_mediapipe():
    """The mediapipe package, imported without importing matplotlib.pyplot.

    mediapipe's vision package imports its drawing helpers, which import pyplot at module level
    (~0.25 s of a cold command); emoface never draws with them. `_PyplotOnFirstUse` stands in
    for pyplot meanwhile, so code that does plot still gets the real one. (The standard
    library's `LazyLoader` does not help here: the import statement itself wakes it up.)"""
    os.environ.setdefault("GLOG_minloglevel", "2")
    if "matplotlib.pyplot" not in sys.modules:
        sys.modules["matplotlib.pyplot"] = _PyplotOnFirstUse("matplotlib.pyplot")
    import mediapipe

    return mediapipe


def create_landmarker(mode: str):
    """A new FaceLandmarker task ("IMAGE" or "VIDEO" running mode): up to MAX_FACES faces, with
    blendshapes and the facial transformation matrix. The caller closes it."""
    import_mediapipe()
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=face_landmarker_bytes()),
        running_mode=getattr(vision.RunningMode, mode),
        num_faces=MAX_FACES,
        output_face_blendshapes=True,
        output_facial_transformation_matrixes=True,
    )
    return vision.FaceLandmarker.create_from_options(options)


@functools.lru_cache(maxsize=1)
def _landmarker():
    """The FaceLandmarker task in IMAGE mode, created on first use (never at import)."""
    landmarker = create_landmarker("IMAGE")
    _close_at_exit(landmarker)
    return landmarker


@functools.lru_cache(maxsize=1)
def _detector():
    """The bundle's BlazeFace face detector, used to score the landmarker's faces."""
    import_mediapipe()
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_buffer=face_landmarker_member("face_detector.tflite")),
        running_mode=vision.RunningMode.IMAGE,
        min_detection_confidence=0.3,
    )
    detector = vision.FaceDetector.create_from_options(options)
    _close_at_exit(detector)
    return detector


def _close_at_exit(task) -> None:
    """Close a MediaPipe task before Python's thread pools shut down.

    MediaPipe's close() (and __del__) needs its executor; plain `atexit` runs after that is
    gone and prints a traceback, so the close is registered with threading's earlier exit hook.
    """
    def close() -> None:
        with contextlib.suppress(RuntimeError, TypeError), _native_logs_silenced():
            task.close()

    threading._register_atexit(close)  # noqa: SLF001 - no public hook runs early enough


@contextlib.contextmanager
def _native_logs_silenced():
    """Send file descriptor 2 to /dev/null while MediaPipe's C++ code starts up (it writes glog,
    TFLite and XNNPACK banners straight to fd 2, which no Python setting reaches)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _detect(rgb: np.ndarray):
    """-> (landmarker result, [(score, x0, y0, x1, y1) px] face detections)."""
    mp = import_mediapipe()
    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
    global _warmed_up
    with _native_logs_silenced() if not _warmed_up else contextlib.nullcontext():
        detections = _detector().detect(image).detections
        result = _landmarker().detect(image)
    _warmed_up = True
    boxes = [(d.categories[0].score, d.bounding_box.origin_x, d.bounding_box.origin_y,
              d.bounding_box.origin_x + d.bounding_box.width,
              d.bounding_box.origin_y + d.bounding_box.height)
             for d in detections]
    return result, boxes


def _face_score(landmarks_px: np.ndarray, boxes) -> float:
    """Best detector score among boxes containing this face's centre (0 if none)."""
    cx, cy = landmarks_px[:468, :2].mean(0)
    return max((b[0] for b in boxes if b[1] <= cx <= b[3] and b[2] <= cy <= b[4]), default=0.0)


def choose_face(faces: list[np.ndarray], boxes) -> int:
    """Index of the largest confidently detected face (or the best-scored one if none is)."""
    scores = [_face_score(f, boxes) for f in faces]
    widths = [float(f[:468, 0].max() - f[:468, 0].min()) for f in faces]
    confident = [i for i, s in enumerate(scores) if s >= CONFIDENT_FACE]
    if confident:
        return max(confident, key=lambda i: widths[i])
    return int(np.argmax(scores)) if max(scores) > 0 else int(np.argmax(widths))


def analyze_image(rgb: np.ndarray) -> FaceAnalysis:
    """Analyse the largest face of an RGB uint8 [H, W, 3] image.

    Returns landmarks in px of *this* image (origin at the top-left pixel's centre).
    Raises NoFaceError if no face is found or the face is narrower than MIN_FACE_PX.
    """
    height, width = rgb.shape[:2]
    scale = min(1.0, ANALYSIS_MAX_SIDE / max(height, width))
    small = rgb if scale == 1.0 else cv2.resize(
        rgb, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    result, boxes = _detect(small)
    if not result.face_landmarks:
        raise NoFaceError("no face found in the image (a frontal, well-lit face works best)")
    sh, sw = small.shape[:2]
    faces = []
    for landmarks in result.face_landmarks:
        xyz = np.array([[p.x, p.y, p.z] for p in landmarks], np.float32)
        # normalised [0, 1] edges -> pixel centres of the full-resolution image
        xyz[:, 0] = xyz[:, 0] * sw / scale - 0.5
        xyz[:, 1] = xyz[:, 1] * sh / scale - 0.5
        xyz[:, 2] = xyz[:, 2] * sw / scale
        faces.append(xyz)
    boxes_full = [(score, *(np.asarray(box) / scale)) for score, *box in boxes]
    best = choose_face(faces, boxes_full)
    face_width = float(faces[best][:468, 0].max() - faces[best][:468, 0].min())
    if face_width < MIN_FACE_PX:
        raise NoFaceError(
            f"the face is only {face_width:.0f} px wide; emoface needs at least {MIN_FACE_PX} px "
            "(use a larger or closer-cropped portrait)")
    categories = result.face_blendshapes[best]
    names = tuple(c.category_name for c in categories)
    if names != BLENDSHAPE_NAMES:
        raise RuntimeError("MediaPipe blendshape order changed; update vocab.BLENDSHAPE_NAMES")
    return FaceAnalysis(
        landmarks_px=faces[best],
        blendshapes=np.array([c.score for c in categories], np.float32),
        head_from_canonical=np.asarray(result.facial_transformation_matrixes[best], np.float32),
        image_size=(height, width),
        faces_found=len(faces),
    )
