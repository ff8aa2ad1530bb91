"""One pass over a video with the independent judges (DESIGN.md "Judging our own output").

Each frame is decoded once and dlib's face detector runs once on it; the box then feeds dlib's
68-point landmarks, fer's emotion CNN (`judge.emotion`) and, every few frames, dlib's identity
embedding. CPBD sharpness (`evaluate.cpbd`) is measured on the whole frame. None of these models
is used by the generator (it steers with MediaPipe).

Convention: frames are RGB uint8 [H, W, 3]; landmarks (x, y) px in the frame, iBUG 68 order;
arrays are per frame, NaN where a measurement was skipped or the frame has no face.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..judge.emotion import EMOTION_CLASSES


@dataclass(frozen=True)
class VideoJudgement:
    """What the judges saw in one video, frame by frame.

    fps:        frames per second of the video.
    size_wh:    (width, height) px.
    frame_index: [T] int, which frames of the video were judged (all of them unless a
                `frame_stride` skipped some); every other array has one row per judged frame.
    face_found: [T] bool, dlib found a face.
    landmarks:  [T, 68, 2] float64 px, NaN where no face.
    cpbd:       [T] float64 CPBD sharpness in [0, 1], NaN where not measured (stride) or flat.
    emotion:    [T, 7] float64 fer probabilities in `EMOTION_CLASSES` order, NaN where not judged.
    identity:   [T, 128] float64 dlib embeddings, NaN where not computed (stride) or no face.
    mouth_steady: [T] float64 `judge.dlib_face.steady_mouth_opening` (dlib's mouth opening, the
                median over jittered face boxes), NaN where not read (`steady_mouth`) or no face.
    """

    fps: float
    size_wh: tuple[int, int]
    frame_index: np.ndarray
    face_found: np.ndarray
    landmarks: np.ndarray
    cpbd: np.ndarray
    emotion: np.ndarray
    identity: np.ndarray
    mouth_steady: np.ndarray

    def __len__(self) -> int:
        return len(self.face_found)


def _face(rgb: np.ndarray):
    """(box, dlib shape) of the largest dlib face in RGB uint8 [H, W, 3], or (None, None)."""
    from ..judge import dlib_face

    box = dlib_face.largest_face_box(rgb)
    if box is None:
        return None, None
    return box, dlib_face._full_object_detection(rgb, box)  # same detection as landmarks68


def _embedding(rgb: np.ndarray, shape) -> np.ndarray:
    """[128] dlib identity descriptor of the face `shape` in RGB uint8 [H, W, 3]."""
    from ..judge import dlib_face

    encoder = dlib_face._face_encoder()
    with dlib_face._LOCK:
        return np.array(encoder.compute_face_descriptor(rgb, shape), np.float64)


def _shrink(rgb: np.ndarray, max_side: int | None) -> tuple[np.ndarray, float]:
    """(RGB uint8 copy with long side <= max_side, scale = copy px / frame px)."""
    import cv2

    h, w = rgb.shape[:2]
    if not max_side or max(h, w) <= max_side:
        return rgb, 1.0
    scale = max_side / max(h, w)
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    return small, small.shape[1] / w


def judge_frames(frames: Iterable[np.ndarray], fps: float, *, frame_stride: int = 1,
                 emotion: bool = False, emotion_stride: int = 1, cpbd_stride: int = 1,
                 identity_stride: int = 0, max_side: int | None = None, steady_mouth: bool = False,
                 total: int | None = None, progress: bool | str = False) -> VideoJudgement:
    """Judge a sequence of RGB uint8 [H, W, 3] frames (all the same size).

    frame_stride:    judge only every n-th frame (face, landmarks and the rest); the strides
                     below count video frames too, so use multiples of it.
    emotion:         run fer's CNN on every `emotion_stride`-th frame with a face.
    cpbd_stride:     CPBD on every n-th frame (0 = never).
    identity_stride: dlib identity embedding on every n-th frame with a face (0 = never).
    max_side:        judge a copy shrunk to this long side in px (faster on big frames; landmarks
                     are scaled back to the frame's px); CPBD always sees the full frame.
    steady_mouth:    also read the mouth opening as the median over jittered face boxes (27
                     landmark fits per frame instead of one).
    total:           number of frames, for the progress bar only.
    progress:        a tqdm bar on stderr (a string is used as its label).
    """
    from tqdm import tqdm

    from ..judge.dlib_face import steady_mouth_opening
    from ..judge.emotion import judge_emotion
    from .cpbd import cpbd

    rows: list[tuple] = []
    size_wh = (0, 0)
    label = progress if isinstance(progress, str) else "emoface eval"
    for t, rgb in enumerate(tqdm(frames, total=total, desc=label, unit="frame", leave=False,
                                 disable=not progress)):
        if t % max(1, frame_stride):
            continue
        rgb = np.ascontiguousarray(rgb)
        size_wh = (rgb.shape[1], rgb.shape[0])
        small, scale = _shrink(rgb, max_side)
        box, shape = _face(small)
        lm = np.full((68, 2), np.nan)
        probs = np.full(len(EMOTION_CLASSES), np.nan)
        ident = np.full(128, np.nan)
        mouth = np.nan
        if shape is not None:
            lm = (np.array([(p.x, p.y) for p in shape.parts()], np.float64) + 0.5) / scale - 0.5
            if emotion and t % max(1, emotion_stride) == 0:
                probs = np.array(list(judge_emotion(small, box=box).values()), np.float64)
            if identity_stride and t % identity_stride == 0:
                ident = _embedding(small, shape)
            if steady_mouth:
                mouth = steady_mouth_opening(small, box)
        sharp = cpbd(rgb) if cpbd_stride and t % cpbd_stride == 0 else np.nan
        rows.append((t, shape is not None, lm, sharp, probs, ident, mouth))
    if not rows:
        return VideoJudgement(float(fps), size_wh, np.zeros(0, int), np.zeros(0, bool),
                              np.zeros((0, 68, 2)), np.zeros(0), np.zeros((0, len(EMOTION_CLASSES))),
                              np.zeros((0, 128)), np.zeros(0))
    index, found, lms, sharp, probs, ident, mouth = zip(*rows)
    return VideoJudgement(float(fps), size_wh, np.array(index, int), np.array(found, bool),
                          np.stack(lms), np.array(sharp, np.float64), np.stack(probs), np.stack(ident),
                          np.array(mouth, np.float64))


def judge_video(path: str | os.PathLike, **options) -> VideoJudgement:
    """`judge_frames` over a video file's frames (decoded one at a time; any length fits).

    Raises `InputError` for an unreadable file or one without a video stream.
    """
    from ..io.video import read_video, video_info

    info = video_info(path)
    return judge_frames(read_video(path), info.fps, total=info.frame_count, **options)


def portrait_embedding(rgb: np.ndarray) -> np.ndarray:
    """[128] dlib identity embedding of the largest face in RGB uint8 [H, W, 3]; `NoFaceError` if none."""
    from ..errors import NoFaceError
    from ..judge.dlib_face import identity_embedding

    emb = identity_embedding(rgb)
    if emb is None:
        raise NoFaceError("dlib found no face in the portrait")
    return emb
