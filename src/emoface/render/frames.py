"""Render a stream of frames on several threads, in order, with bounded memory.

`render_frame` spends part of its time in the numba rasteriser (nogil) and OpenCV's remap, both
of which release the GIL, so large frames rendered on two threads overlap on two cores. Smaller
frames do not gain: the GIL-bound numpy of the mouth, eyes and expression lines (many small
arrays, a fixed cost per frame) dominates them, and two threads then only contend. Measured with
`bench/render_speed.py` on this 2-core machine, 2 threads against 1 (median of 7 alternating
runs of 200 frames): 0.75x at 256², 0.76x at 384², 0.90x at 512², 1.05x at 640², 1.12x at
768², 1.44x at 1024².
"""
from __future__ import annotations

import collections
import concurrent.futures
import os
from collections.abc import Iterable, Iterator

import numpy as np

from .compose import RenderSource, render_frame

MAX_RENDER_THREADS = 4
THREADED_MIN_PIXELS = 640 * 640   # below this, one thread renders faster (see above)


def default_threads(shape: tuple[int, ...] = (512, 512)) -> int:
    """Render threads for frames of `shape` (H, W, ...) on this machine: one per core, at most
    MAX_RENDER_THREADS, and one for frames under THREADED_MIN_PIXELS."""
    if shape[0] * shape[1] < THREADED_MIN_PIXELS:
        return 1
    return max(1, min(MAX_RENDER_THREADS, os.cpu_count() or 1))


def render_frames(source: RenderSource, landmarks: Iterable[np.ndarray],
                  threads: int | None = None) -> Iterator[np.ndarray]:
    """Deformed landmarks ([478, 3] px each, streamed) -> RGB uint8 [H, W, 3] frames in the same
    order, rendered on `threads` threads (default `default_threads` for the source's size).
    At most 2 x threads frames are in flight, so memory stays bounded however long the stream;
    a frame's error is raised when that frame is reached."""
    threads = default_threads(source.image.shape) if threads is None else int(threads)
    if threads <= 1:
        for points in landmarks:
            yield render_frame(source, points)
        return
    with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="emoface-render") as pool:
        pending: collections.deque = collections.deque()
        try:
            for points in landmarks:
                pending.append(pool.submit(render_frame, source, points))
                if len(pending) > 2 * threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for job in pending:      # the consumer stopped early or a frame failed
                job.cancel()
