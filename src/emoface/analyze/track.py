"""Follow one face through a video: MediaPipe FaceLandmarker in VIDEO mode -> `FaceTrack`.

VIDEO mode tracks each face from the previous frame's landmarks (the face detector runs only
when a face is lost), so it is faster and steadier than analysing every frame as a still.
Which face is followed:

- `face_index=None`: the largest face of the first frame that shows one;
- `face_index=k`: the k-th face counted from the left (0 = leftmost, by the centre of its
  landmarks) in the first frame that shows at least k + 1 faces;

and from then on the face nearest to where it was last seen (its centre within half a face
width per frame, more while it stays lost). Frames where it is not found have NaN rows.
A face too small to be found in the whole frame (a wide shot) is searched for in smaller
windows and then followed in a crop around it (`VideoTracker`).

Smoothing (`smooth_series`): a centred Savitzky-Golay fit (5 frames, quadratic) over each run
of found frames whose correction is capped to a jitter band (a small share of the face width
for landmarks, a few hundredths for blendshapes). Landmark jitter is small and fast, so it is
removed; real motion that the fit would flatten (a lip closure lasting one or two frames) moves
much further than the band, so it keeps its timing and depth to within the band: no lag, no
smear.

Convention: landmarks are (x, y, z) px of the frames given (origin at the top-left pixel's
centre, y down; z scaled like x); time advances 1 / fps per frame.
"""
from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, NoFaceError
from ..types import FaceAnalysis
from ..vocab import BLENDSHAPE_NAMES
from .landmarker import (ANALYSIS_MAX_SIDE, MAX_FACES, SEARCH_MIN_SIDE, _native_logs_silenced, create_landmarker,
                         face_arrays, face_score, faces_px, find_faces, import_mediapipe, shrunk)

N_LANDMARKS = 478
N_BLENDSHAPES = len(BLENDSHAPE_NAMES)
SMOOTH_WINDOW = 5            # frames (centred); THFEM's adjacent-frame window n = 5
SMOOTH_ORDER = 2             # quadratic Savitzky-Golay fit
LANDMARK_BAND = 0.006        # landmark corrections capped at this share of the face width (px)
BLENDSHAPE_BAND = 0.04       # blendshape corrections capped at this many score units
FOLLOW_REACH = 0.5           # the followed face moves at most this many face widths a frame ...
FOLLOW_REACH_PER_S = 2.0     # ... plus this many per second it has been lost
FOLLOW_SIZE_RATIO = 2.0      # ... and changes width by at most this factor
# Small faces (a wide shot): the whole frame, shrunk to the analysis size, shows a face under
# ~10 % of its long side too small for the detector (a 1080p frame loses a 150 px face). While
# no face is followed, the frame is searched in smaller windows (landmarker.find_faces) at most
# once per SEARCH_EVERY_S; a followed face narrower than CROP_FACE_SHARE of the long side is
# followed in a square crop CROP_FACE_WIDTHS face widths wide (>= SEARCH_MIN_SIDE) around it,
# placed anew when the face nears its edge, until the face grows past CROP_LEAVE_SHARE.
SEARCH_EVERY_S = 1.0
CROP_FACE_SHARE = 0.15
CROP_LEAVE_SHARE = 0.22
CROP_FACE_WIDTHS = 4.0
CROP_RECENTRE = 1 / 6        # the crop is placed anew when the face centre is this share of it off centre ...
CROP_RESIZE = 1.3            # ... or the side the face now needs differs from its side by this factor
# a face the search finds in the whole frame counts when the face detector scores it this
# high; one found only in a smaller window must also pass `landmarker._confirmed` (>= 0.75 in a
# crop around it), which turns away textures such as tiled colour wheels
SEARCH_MIN_SCORE = 0.5


@dataclass(frozen=True)
class FaceTrack:
    """One face followed through a video (T frames).

    landmarks_px:        [T, 478, 3] float32 px of the video's frames (NaN rows where lost).
    blendshapes:         [T, 52] float32 in [0, 1], `vocab.BLENDSHAPE_NAMES` order (NaN where lost).
    head_from_canonical: [T, 4, 4] float32, MediaPipe's facial transformation (NaN where lost).
    found:               [T] bool, whether the face was found in that frame.
    fps:                 frames per second the frames were taken at.
    image_size:          (height, width) px of the frames.
    faces_seen:          [T] int16, how many faces the landmarker saw in each frame.
    """

    landmarks_px: np.ndarray
    blendshapes: np.ndarray
    head_from_canonical: np.ndarray
    found: np.ndarray
    fps: float
    image_size: tuple[int, int]
    faces_seen: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.found)

    def analysis(self, i: int) -> FaceAnalysis:
        """Frame i's face as a `FaceAnalysis` (raises InputError where it was not found)."""
        if not self.found[i]:
            raise InputError(f"the face was not found in frame {i}")
        seen = int(self.faces_seen[i]) if self.faces_seen is not None else 1
        return FaceAnalysis(self.landmarks_px[i], self.blendshapes[i], self.head_from_canonical[i],
                            tuple(self.image_size), max(seen, 1))

    def aus(self) -> np.ndarray:
        """[T, 17, 2] float32 AU intensities 0-5 per frame (`pipeline.read_source_aus`: blendshape
        readings, AU25 from the inner-lip gap); NaN where the face was lost."""
        from ..pipeline import read_source_aus
        from ..rig.deform import fit_face

        out = np.full((len(self), 17, 2), np.nan, np.float32)
        for i in np.flatnonzero(self.found):
            analysis = self.analysis(int(i))
            out[i] = read_source_aus(analysis, fit_face(analysis))
        return out

    @property
    def face_width_px(self) -> np.ndarray:
        """[T] width of the face oval's bounding box, px (NaN where lost)."""
        xs = self.landmarks_px[:, :468, 0]
        return (xs.max(1) - xs.min(1)).astype(np.float32)


@dataclass(frozen=True)
class TrackedFace:
    """The followed face in one frame, as the landmarker reported it (not smoothed).

    landmarks_px [478, 3] px; blendshapes [52]; head_from_canonical [4, 4]; faces_seen: how many
    faces the frame showed."""

    landmarks_px: np.ndarray
    blendshapes: np.ndarray
    head_from_canonical: np.ndarray
    faces_seen: int


def _box(landmarks_px: np.ndarray) -> np.ndarray:
    """[478, >=2] px -> [4] (centre x, centre y, width, height) of the face mesh's bounding box."""
    lo, hi = landmarks_px[:468, :2].min(0), landmarks_px[:468, :2].max(0)
    return np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[0] - lo[0], hi[1] - lo[1]], np.float64)


class VideoTracker:
    """Follows one face through frames given one at a time, in order (MediaPipe VIDEO mode).

        with VideoTracker(fps=25) as tracker:
            for rgb in frames:              # RGB uint8 [H, W, 3], all the same size
                face = tracker.read(rgb)    # TrackedFace (raw, unsmoothed) or None

    fps: the frames' rate (timestamps are frame / fps); face_index: None = the largest face,
    k = the k-th face from the left (see the module docstring); max_side: frames (or crops)
    whose long side exceeds it are analysed on a downscaled copy (default ANALYSIS_MAX_SIDE px);
    landmarks are always in px of the frames given. While no face is followed, a frame that
    shows none whole is searched in smaller windows (at most once per SEARCH_EVERY_S); a small
    followed face is followed in a crop around it (see the constants above). Two VIDEO-mode
    landmarkers (whole frame, crop), separate from `landmarker`'s IMAGE-mode one.
    """

    def __init__(self, fps: float, face_index: int | None = None, max_side: int | None = None):
        if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
            raise InputError(f"fps must be a positive number, got {fps!r}")
        if face_index is not None and not (isinstance(face_index, (int, np.integer)) and 0 <= face_index < MAX_FACES):
            raise InputError(f"face index must be 0-{MAX_FACES - 1} (faces counted from the left), got {face_index!r}")
        if max_side is not None and not (isinstance(max_side, (int, np.integer)) and max_side >= 64):
            raise InputError(f"max_side must be an integer >= 64 px, got {max_side!r}")
        self.fps = float(fps)
        self.face_index = None if face_index is None else int(face_index)
        self.max_side = int(max_side) if max_side is not None else ANALYSIS_MAX_SIDE
        self.frames_read = 0
        self.most_faces = 0           # the most faces any frame showed
        self.frames_searched = 0      # frames searched in windows
        self.frames_cropped = 0       # frames followed in a crop
        self._last_box: np.ndarray | None = None
        self._lost_frames = 0
        self._last_ms = -1
        self._next_search = 0         # the first frame that may be searched in windows
        self._crop: tuple[int, int, int, int] | None = None    # (x0, y0, side, side) px; None: whole frame
        self._landmarkers: dict[str, object] = {}

    def __enter__(self) -> "VideoTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _landmarker(self, which: str):
        """The VIDEO-mode landmarker for "frame" or "crop" (created on first use)."""
        if which not in self._landmarkers:
            with _native_logs_silenced():
                self._landmarkers[which] = create_landmarker("VIDEO")
        return self._landmarkers[which]

    def close(self) -> None:
        landmarkers, self._landmarkers = self._landmarkers, {}
        for landmarker in landmarkers.values():
            with contextlib.suppress(RuntimeError, TypeError), _native_logs_silenced():
                landmarker.close()

    def read(self, rgb: np.ndarray) -> TrackedFace | None:
        """The followed face in the next frame, RGB uint8 [H, W, 3] -> TrackedFace or None."""
        if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3):
            raise InputError(f"frames must be RGB uint8 [H, W, 3], got {getattr(rgb, 'shape', type(rgb))}")
        stamp = max(self._last_ms + 1, int(round(self.frames_read * 1000.0 / self.fps)))
        self._last_ms = stamp
        frame = self.frames_read
        self.frames_read += 1
        height, width = rgb.shape[:2]
        window = self._crop or (0, 0, width, height)
        faces = self._video_faces(rgb, window, stamp, "crop" if self._crop else "frame")
        self.frames_cropped += self._crop is not None
        pick = self._follow([_box(f[0]) for f in faces])
        if pick is None and frame >= self._next_search:
            faces = self._searched_faces(rgb)
            self._next_search = frame + max(1, round(self.fps * SEARCH_EVERY_S))
            pick = self._follow([_box(f[0]) for f in faces])
        self.most_faces = max(self.most_faces, len(faces))
        if pick is None:
            self._lost_frames += 1
            self._crop = None
            return None
        self._lost_frames = 0
        self._next_search = frame + 1
        landmarks, blendshapes, head = faces[pick]
        self._last_box = _box(landmarks)
        self._place_crop(height, width)
        return TrackedFace(landmarks, blendshapes, head, len(faces))

    def _video_faces(self, rgb: np.ndarray, window: tuple, stamp: int, which: str) -> list[tuple]:
        """Faces the VIDEO-mode landmarker `which` finds in window (x0, y0, w, h) px of the frame
        -> [(landmarks [478, 3] px of the frame, blendshapes [52], head_from_canonical [4, 4])]."""
        mp = import_mediapipe()
        x0, y0, w, h = window
        small, scale = shrunk(rgb[y0:y0 + h, x0:x0 + w], self.max_side)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(small))
        first = which not in self._landmarkers
        landmarker = self._landmarker(which)
        with _native_logs_silenced() if first else contextlib.nullcontext():
            result = landmarker.detect_for_video(image, stamp)
        return [face_arrays(xyz, result, k) for k, xyz in enumerate(faces_px(result, small.shape, scale, (x0, y0)))]

    def _searched_faces(self, rgb: np.ndarray) -> list[tuple]:
        """The faces the IMAGE-mode search (whole frame, then smaller windows) finds and the
        face detector confirms -> [(landmarks [478, 3] px, blendshapes [52], head [4, 4])]."""
        self.frames_searched += 1
        faces, boxes = find_faces(rgb)
        return [face_arrays(xyz, result, k) for xyz, result, k in faces if face_score(xyz, boxes) >= SEARCH_MIN_SCORE]

    def _place_crop(self, height: int, width: int) -> None:
        """Follow the face in a crop while it is small: place (or move) the square crop around
        the last box, or go back to the whole frame once the face has grown."""
        cx, cy, face_w = self._last_box[:3]
        share = face_w / max(height, width)
        if share >= (CROP_LEAVE_SHARE if self._crop else CROP_FACE_SHARE):
            self._crop = None
            return
        side = int(min(height, width, max(SEARCH_MIN_SIDE, round(CROP_FACE_WIDTHS * face_w))))
        if self._crop is not None:
            x0, y0, old, _ = self._crop
            off_centre = max(abs(cx - (x0 + old / 2)), abs(cy - (y0 + old / 2))) / old
            if off_centre <= CROP_RECENTRE and 1 / CROP_RESIZE <= side / old <= CROP_RESIZE:
                return
        x0 = int(np.clip(round(cx - side / 2), 0, width - side))
        y0 = int(np.clip(round(cy - side / 2), 0, height - side))
        self._crop = (x0, y0, side, side)

    def _follow(self, boxes: list[np.ndarray]) -> int | None:
        """Which of this frame's face boxes [(cx, cy, w, h)] is the followed face (None: not here)."""
        if not boxes:
            return None
        if self._last_box is None:  # not chosen yet
            if self.face_index is None:
                return int(np.argmax([b[2] for b in boxes]))
            if len(boxes) <= self.face_index:
                return None
            return int(np.argsort([b[0] for b in boxes], kind="stable")[self.face_index])
        last = self._last_box
        reach = (FOLLOW_REACH + FOLLOW_REACH_PER_S * self._lost_frames / self.fps) * last[2]
        best, best_d = None, math.inf
        for k, b in enumerate(boxes):
            d = float(np.hypot(b[0] - last[0], b[1] - last[1]))
            ratio = b[2] / max(last[2], 1e-6)
            if d <= reach and 1 / FOLLOW_SIZE_RATIO <= ratio <= FOLLOW_SIZE_RATIO and d < best_d:
                best, best_d = k, d
        return best


def track_frames(frames: Iterable[np.ndarray], fps: float, face_index: int | None = None,
                 smooth: bool = True, progress: bool = False, max_side: int | None = None,
                 total: int | None = None) -> FaceTrack:
    """Follow one face through frames already decoded or in memory -> FaceTrack.

    frames: iterable of RGB uint8 [H, W, 3] (all the same size), in order; fps: their rate;
    face_index: None = the largest face, k = the k-th face from the left (0 = leftmost);
    smooth: apply `smooth_track`; progress: tqdm bar (total: frame count for it);
    max_side: analyse frames above this long side on a downscaled copy.
    Raises NoFaceError when no frame shows the face (or InputError for fewer faces than
    face_index asks for), InputError for no frames or frames of changing size.
    """
    from tqdm import tqdm

    landmarks, blendshapes, heads, found, seen = [], [], [], [], []
    size = None
    with VideoTracker(fps, face_index, max_side) as tracker:
        for rgb in tqdm(frames, total=total, desc="emoface track", unit="frame", disable=not progress,
                        leave=False):
            if size is None:
                size = rgb.shape[:2]
            elif rgb.shape[:2] != size:
                raise InputError(f"frame {len(found)} is {rgb.shape[1]}x{rgb.shape[0]} px, the first was "
                                 f"{size[1]}x{size[0]}; all frames must have one size")
            face = tracker.read(rgb)
            found.append(face is not None)
            seen.append(face.faces_seen if face is not None else 0)
            if face is None:
                landmarks.append(np.full((N_LANDMARKS, 3), np.nan, np.float32))
                blendshapes.append(np.full(N_BLENDSHAPES, np.nan, np.float32))
                heads.append(np.full((4, 4), np.nan, np.float32))
            else:
                landmarks.append(face.landmarks_px)
                blendshapes.append(face.blendshapes)
                heads.append(face.head_from_canonical)
        most_faces = tracker.most_faces
    if size is None:
        raise InputError("the video has no frames")
    check_found(np.array(found), face_index, most_faces)
    track = FaceTrack(np.stack(landmarks), np.stack(blendshapes), np.stack(heads), np.array(found, bool),
                      float(fps), (int(size[0]), int(size[1])), np.array(seen, np.int16))
    return smooth_track(track) if smooth else track


def check_found(found: np.ndarray, face_index: int | None, most_faces: int, what: str = "the video") -> None:
    """Raise a clear error when the face was never found ([T] bool per frame)."""
    if found.any():
        return
    if face_index is not None and most_faces > 0:
        raise InputError(f"{what} shows at most {most_faces} face{'s' if most_faces > 1 else ''} at once; "
                         f"face index {face_index} needs {face_index + 1} (faces are counted from the left, from 0)")
    raise NoFaceError(f"no face found in any frame of {what} (a frontal, well-lit face works best)")


def track_video(path, face_index: int | None = None, smooth: bool = True, progress: bool = False,
                max_side: int | None = None) -> FaceTrack:
    """Follow one face through the video file at `path` -> FaceTrack (see `track_frames`).

    face_index: None = the largest face (of the first frame showing a face); k = the k-th face
    counted from the left, 0 = leftmost. Landmarks are px of the video's upright frames.
    Raises InputError for an unreadable file or a video without frames, NoFaceError when no
    frame shows a face."""
    from ..io.video import read_video, video_info

    info = video_info(path)
    fps = info.fps if info.fps > 0 else 25.0
    frames = read_video(path)
    try:
        track = track_frames(frames, fps, face_index, smooth, progress, max_side, total=info.frame_count or None)
    except NoFaceError:
        raise NoFaceError(f"no face found in any frame of {path} (a frontal, well-lit face works best)") from None
    return track


# --- smoothing ---------------------------------------------------------------------------

def found_runs(found: np.ndarray) -> Iterator[tuple[int, int]]:
    """[T] bool -> (start, stop) half-open index ranges of consecutive True frames."""
    edges = np.flatnonzero(np.diff(np.r_[0, found.astype(np.int8), 0]))
    return zip(edges[::2].tolist(), edges[1::2].tolist())


@functools.lru_cache(maxsize=16)
def _savgol_projection(window: int, order: int) -> np.ndarray:
    """[window, window]: the values in a window -> the values of their least-squares polynomial
    of `order` at each position of the window (Savitzky & Golay 1964)."""
    x = np.arange(window, dtype=np.float64) - window // 2
    vander = np.vander(x, order + 1, increasing=True)
    return vander @ np.linalg.pinv(vander)


def savgol(values: np.ndarray, window: int, order: int) -> np.ndarray:
    """Savitzky-Golay smoothing along axis 0 of [N, ...] (N >= window, window odd) -> float64,
    the first and last window // 2 rows from the polynomial fitted to the first / last window
    (as `scipy.signal.savgol_filter(..., mode="interp")`, without importing scipy.signal,
    which costs most of a second at start-up)."""
    n, half = len(values), window // 2
    flat = np.asarray(values, np.float64).reshape(n, -1)
    proj = _savgol_projection(window, order)
    out = np.empty_like(flat)
    out[half: n - half] = np.lib.stride_tricks.sliding_window_view(flat, window, axis=0) @ proj[half]
    out[:half] = proj[:half] @ flat[:window]
    out[n - half:] = proj[half + 1:] @ flat[n - window:]
    return out.reshape(np.shape(values))


def smooth_series(values: np.ndarray, found: np.ndarray, band, window: int = SMOOTH_WINDOW,
                  order: int = SMOOTH_ORDER) -> np.ndarray:
    """Centred Savitzky-Golay smoothing along time, correction capped to a jitter band.

    values: [T, ...] float; found: [T] bool (each run of found frames is smoothed on its own;
    other rows are returned as they are); band: the largest correction, a float or [T]
    (broadcast over the other axes) in the values' units. Runs shorter than 3 frames are kept.
    Returns [T, ...] float32.
    """
    out = np.array(values, np.float32, copy=True)
    band = np.broadcast_to(np.asarray(band, np.float32).reshape((-1,) + (1,) * (out.ndim - 1))
                           if np.ndim(band) else np.float32(band), out.shape)
    for start, stop in found_runs(np.asarray(found, bool)):
        n = stop - start
        w = min(window, n if n % 2 else n - 1)
        if w < 3:
            continue
        raw = out[start:stop]
        fit = savgol(raw, w, min(order, w - 1))
        limit = band[start:stop]
        out[start:stop] = raw + np.clip(fit - raw, -limit, limit)
    return out


def _orthonormal(heads: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Re-orthogonalise the rotation part of smoothed [T, 4, 4] transforms (keeping their scale)."""
    out = heads.copy()
    for i in np.flatnonzero(found):
        u, s, vt = np.linalg.svd(out[i, :3, :3].astype(np.float64))
        out[i, :3, :3] = (u @ vt) * s.mean()
        out[i, 3] = (0, 0, 0, 1)
    return out


def smooth_track(track: FaceTrack, window: int = SMOOTH_WINDOW) -> FaceTrack:
    """The track with its landmarks, blendshapes and head transforms smoothed over `window`
    centred frames (`smooth_series`; landmark band = LANDMARK_BAND x face width)."""
    width = np.nan_to_num(track.face_width_px, nan=0.0)
    landmarks = smooth_series(track.landmarks_px, track.found, LANDMARK_BAND * width, window)
    blendshapes = np.clip(smooth_series(track.blendshapes, track.found, BLENDSHAPE_BAND, window), 0.0, 1.0)
    heads = smooth_series(track.head_from_canonical, track.found, np.inf, window)
    heads = _orthonormal(heads, track.found)
    return FaceTrack(landmarks, blendshapes, heads.astype(np.float32), track.found, track.fps,
                     track.image_size, track.faces_seen)
