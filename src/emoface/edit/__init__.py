"""edit: change the emotion of an existing talking video, keeping its speech (THFEM's task).

    from emoface.edit import edit_video
    edit_video("talk.mp4", "angry.mp4", emotion="angry", level=2)

Modules by stage: `plan` (per-frame AU residual: the frames' own smoothed expression, LES
target, mouth articulation kept, eased around lost faces), `frame` (re-render one frame from
itself in the face region), `timing` (variable frame rates), `run` (the two passes, threaded).
"""
from .run import EditResult, edit_video

__all__ = ["EditResult", "edit_video"]
