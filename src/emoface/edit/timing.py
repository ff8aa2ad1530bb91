"""Frame timing of an input video: constant or variable frame rate, and a constant-rate schedule.

A phone records at a variable frame rate: frames arrive whenever the camera delivers them, and
the sound stays in step through their timestamps. The edit writes a constant-rate video (the
input's average rate), so a variable-rate input is resampled as FFmpeg's `-vsync cfr` does:
each output frame shows the input frame on screen at its time (frames are repeated or dropped,
never moved in time), which keeps the picture in step with the untouched sound.

Convention: times in seconds from the first frame.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

VARIABLE_TOLERANCE = 0.25   # a frame interval off the median by more than this share: variable rate


def frame_times(path: str | os.PathLike) -> np.ndarray | None:
    """[N] float64 presentation times (s, from the first frame) of the video's frames, from the
    container's packets (no decoding); None when the container gives no usable timestamps."""
    import av

    from ..io.audio import open_media

    container = open_media(Path(path), "read video")
    try:
        stream = container.streams.video[0]
        time_base = stream.time_base           # read it while open: a closed stream reports None
        if time_base is None:
            return None
        pts = [p.pts for p in container.demux(stream) if p.pts is not None and p.size > 0]
    except (av.FFmpegError, IndexError):
        return None
    finally:
        container.close()
    if len(pts) < 2:
        return None
    times = np.sort(np.asarray(pts, np.float64)) * float(time_base)
    return times - times[0]


def is_variable_rate(times: np.ndarray | None) -> bool:
    """Whether frame times [N] s are unevenly spaced (beyond timestamp rounding)."""
    if times is None or len(times) < 3:
        return False
    steps = np.diff(times)
    median = float(np.median(steps))
    return median > 0 and bool(np.any(np.abs(steps - median) > VARIABLE_TOLERANCE * median))


def constant_rate_schedule(times: np.ndarray, fps: float) -> np.ndarray:
    """[M] int: for each output frame j (at j / fps s), the input frame on screen at that time
    (the last one shown by then, a quarter frame's tolerance for timestamp rounding).

    times: [N] s of the input frames, sorted; M covers the input up to its last frame's end
    (the median interval after the last timestamp)."""
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0 / fps
    m = max(1, int(round((times[-1] + step) * fps)))
    t_out = np.arange(m) / fps
    shown = np.searchsorted(times, t_out + 0.25 / fps, side="right") - 1
    return np.clip(shown, 0, len(times) - 1).astype(np.int64)
