"""MediaPipe FaceLandmarker -> `FaceAnalysis` for the largest face in an image.

Large images are analysed on a resized copy (long side <= ANALYSIS_MAX_SIDE) and the landmarks
scaled back, so 4K portraits cost the same as 1K ones. An image whose face is too small to be
found that way (a panorama, a wide shot) is searched again in smaller windows.
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
# A second search in smaller windows (`search_windows`) for images whose face is too small to be
# found whole: windows down to this side (px), at most this many.
SEARCH_MIN_SIDE = 4 * MIN_FACE_PX
SEARCH_MAX_WINDOWS = 48
# A face found only in a search window is kept when the detector confirms it: its score there,
# or on a crop CONFIRM_WIDTHS face widths wide around it (shrunk to at most CONFIRM_SIDE px),
# reaches CONFIDENT_FACE. In a window a real face can score low (it is small there), and so can
# textures: tiled colour wheels gave 12 false faces at 0.52-0.65 and a cat's face 0.58. In the
# crop, real faces of 66-134 px from 1920x1080 frames score 0.91-0.95 and those 0.32-0.40
# (out/s27/confirm.py, session 27).
CONFIRM_WIDTHS = 3.0
CONFIRM_SIDE = 256


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


def _detect(rgb: np.ndarray, landmarks: bool = True):
    """-> (landmarker result, or None when not `landmarks`; [(score, x0, y0, x1, y1) px] face
    detections)."""
    mp = import_mediapipe()
    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
    global _warmed_up
    with _native_logs_silenced() if not _warmed_up else contextlib.nullcontext():
        detections = _detector().detect(image).detections
        result = _landmarker().detect(image) if landmarks else None
    _warmed_up = True
    boxes = [(d.categories[0].score, d.bounding_box.origin_x, d.bounding_box.origin_y,
              d.bounding_box.origin_x + d.bounding_box.width,
              d.bounding_box.origin_y + d.bounding_box.height)
             for d in detections]
    return result, boxes


def _mesh_centre(landmarks_px: np.ndarray) -> np.ndarray:
    """[2] px: the mean of a face's 468 mesh points (landmarks_px [>=468, >=2] px)."""
    return landmarks_px[:468, :2].mean(0)


def _mesh_width(landmarks_px: np.ndarray) -> np.floating:
    """The x extent (px) of a face's 468 mesh points (landmarks_px [>=468, >=2] px)."""
    return np.ptp(landmarks_px[:468, 0])


def face_score(landmarks_px: np.ndarray, boxes) -> float:
    """Best detector score among boxes containing this face's centre (0 if none)."""
    cx, cy = _mesh_centre(landmarks_px)
    return max((b[0] for b in boxes if b[1] <= cx <= b[3] and b[2] <= cy <= b[4]), default=0.0)


def choose_face(faces: list[np.ndarray], boxes) -> int:
    """Index of the largest confidently detected face (or the best-scored one if none is)."""
    scores = [face_score(f, boxes) for f in faces]
    widths = [float(_mesh_width(f)) for f in faces]
    confident = [i for i, s in enumerate(scores) if s >= CONFIDENT_FACE]
    if confident:
        return max(confident, key=lambda i: widths[i])
    return int(np.argmax(scores)) if max(scores) > 0 else int(np.argmax(widths))


def shrunk(window: np.ndarray, max_side: int = ANALYSIS_MAX_SIDE) -> tuple[np.ndarray, float]:
    """An RGB window [h, w, 3] -> (a copy whose long side is at most max_side px, INTER_AREA;
    the window itself if it already fits, the scale applied (<= 1))."""
    height, width = window.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale == 1.0:
        return window, scale
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(window, size, interpolation=cv2.INTER_AREA), scale


def blendshape_scores(categories) -> np.ndarray:
    """A landmarker face's blendshape categories -> scores [52] in BLENDSHAPE_NAMES order."""
    if tuple(c.category_name for c in categories) != BLENDSHAPE_NAMES:
        raise RuntimeError("MediaPipe blendshape order changed; update vocab.BLENDSHAPE_NAMES")
    return np.array([c.score for c in categories], np.float32)


def face_arrays(landmarks_px: np.ndarray, result, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face k of a landmarker result, its landmarks already in px -> (landmarks [478, 3] px,
    blendshapes [52] in BLENDSHAPE_NAMES order, head_from_canonical [4, 4])."""
    return (landmarks_px, blendshape_scores(result.face_blendshapes[k]),
            np.asarray(result.facial_transformation_matrixes[k], np.float32))


def faces_px(result, small_shape: tuple, scale: float, origin: tuple[int, int] = (0, 0)) -> list[np.ndarray]:
    """The faces of a landmarker result on a window of an image shrunk by `scale` (small_shape:
    the shrunk window's (h, w, ...)) -> one [478, 3] array per face, in px of the full-resolution
    image (pixel centres; z scaled like x); origin: the window's top-left corner (x, y) there."""
    sh, sw = small_shape[:2]
    faces = []
    for landmarks in result.face_landmarks:
        xyz = np.array([[p.x, p.y, p.z] for p in landmarks], np.float32)
        # normalised [0, 1] edges -> pixel centres of the full-resolution image
        xyz[:, 0] = xyz[:, 0] * sw / scale - 0.5 + origin[0]
        xyz[:, 1] = xyz[:, 1] * sh / scale - 0.5 + origin[1]
        xyz[:, 2] = xyz[:, 2] * sw / scale
        faces.append(xyz)
    return faces


def _faces_in_window(rgb: np.ndarray, x0: int, y0: int, side_w: int, side_h: int) -> tuple[list, list]:
    """Landmarker faces in the window [y0:y0+side_h, x0:x0+side_w] of an RGB image, analysed on
    a copy shrunk to ANALYSIS_MAX_SIDE -> ([(landmarks [478, 3] px of the full image, result,
    index in result)], [(score, x0, y0, x1, y1) px] detector boxes in the full image)."""
    small, scale = shrunk(rgb[y0:y0 + side_h, x0:x0 + side_w])
    result, boxes = _detect(small)
    faces = [(xyz, result, k) for k, xyz in enumerate(faces_px(result, small.shape, scale, (x0, y0)))]
    offset = np.array([x0, y0, x0, y0], np.float64)
    return faces, [(score, *(np.asarray(box) / scale + offset)) for score, *box in boxes]


def search_windows(height: int, width: int) -> list[list[tuple[int, int, int]]]:
    """Square windows (x0, y0, side) px, coarse to fine, for faces too small to be found in the
    whole image (the detector sees it shrunk to 192 px: a 250 px face in a 6000 px panorama is
    8 px there). Level k has side short_side / 2**k, overlapping by half, down to SEARCH_MIN_SIDE
    (a MIN_FACE_PX face still a quarter of the window); the whole image itself is not repeated;
    at most SEARCH_MAX_WINDOWS windows in all."""
    levels, total, side = [], 0, min(height, width)
    while side >= SEARCH_MIN_SIDE:
        def starts(length):
            last = length - side
            return sorted(set(range(0, last + 1, max(side // 2, 1))) | {last})
        level = [(x, y, side) for y in starts(height) for x in starts(width)]
        if total + len(level) > SEARCH_MAX_WINDOWS:
            break
        if not (len(level) == 1 and side == height == width):
            levels.append(level)
            total += len(level)
        side //= 2
    return levels


def _distinct(faces: list) -> list:
    """Faces found in overlapping windows, each kept once (the first of any whose centres lie
    within a third of a face width)."""
    kept = []
    for face in faces:
        centre, width = _mesh_centre(face[0]), _mesh_width(face[0])
        if all(np.linalg.norm(centre - _mesh_centre(k[0])) > width / 3 for k in kept):
            kept.append(face)
    return kept


def _confirmed(rgb: np.ndarray, landmarks_px: np.ndarray, boxes) -> bool:
    """Whether the face detector confirms a face found in a search window (see CONFIRM_WIDTHS):
    landmarks_px [>=468, 3] px of the RGB image, boxes: the window's detections."""
    if face_score(landmarks_px, boxes) >= CONFIDENT_FACE:
        return True
    height, width = rgb.shape[:2]
    (cx, cy), half = _mesh_centre(landmarks_px), CONFIRM_WIDTHS * _mesh_width(landmarks_px) / 2
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    crop = rgb[y0:min(height, int(cy + half) + 1), x0:min(width, int(cx + half) + 1)]
    _, crop_boxes = _detect(shrunk(crop, CONFIRM_SIDE)[0], landmarks=False)
    return max((b[0] for b in crop_boxes), default=0.0) >= CONFIDENT_FACE


def find_faces(rgb: np.ndarray) -> tuple[list, list]:
    """All faces of an RGB uint8 [H, W, 3] image: the whole image is searched first; if it shows
    none, smaller windows of it (`search_windows`, coarse to fine, stopping at the first size
    that shows a face the detector confirms, `_confirmed`) -> ([(landmarks [478, 3] px,
    landmarker result, index in it)], [(score, x0, y0, x1, y1) px] detector boxes), both in px
    of the whole image."""
    height, width = rgb.shape[:2]
    faces, boxes = _faces_in_window(rgb, 0, 0, width, height)
    for level in ([] if faces else search_windows(height, width)):
        for x0, y0, side in level:
            found, found_boxes = _faces_in_window(rgb, x0, y0, side, side)
            faces += found
            boxes += found_boxes
        faces = [f for f in _distinct(faces) if _confirmed(rgb, f[0], boxes)]
        if faces:
            break
    return faces, boxes


def analyze_image(rgb: np.ndarray) -> FaceAnalysis:
    """Analyse the largest face of an RGB uint8 [H, W, 3] image.

    Returns landmarks in px of *this* image (origin at the top-left pixel's centre). The whole
    image is searched first; if it shows no face, smaller windows of it are (`search_windows`:
    a small face in a panorama or a large photo).
    Raises NoFaceError if no face is found or the face is narrower than MIN_FACE_PX.
    """
    height, width = rgb.shape[:2]
    faces, boxes = find_faces(rgb)
    if not faces:
        raise NoFaceError("no face found in the image (a frontal, well-lit face works best)")
    best = choose_face([f[0] for f in faces], boxes)
    landmarks, blendshapes, head = face_arrays(*faces[best])
    face_width = float(_mesh_width(landmarks))
    if face_width < MIN_FACE_PX:
        raise NoFaceError(
            f"the face is only {face_width:.0f} px wide; emoface needs at least {MIN_FACE_PX} px "
            "(use a larger or closer-cropped portrait)")
    return FaceAnalysis(
        landmarks_px=landmarks,
        blendshapes=blendshapes,
        head_from_canonical=head,
        image_size=(height, width),
        faces_found=len(faces),
    )
