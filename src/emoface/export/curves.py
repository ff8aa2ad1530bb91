"""Per-frame animation curves as JSON: 52 ARKit blendshapes, 17 AUs and head pose, so the same
performance can drive a 3D avatar.

Blendshapes are an avatar's 0-1 activations, not MediaPipe's measured scores: an AU at FACS
intensity 5 is blendshape 1.0 (through `analyze.aus.AU_BLENDSHAPES`), and the speech mouth
controls map to their ARKit namesakes (jaw_open -> jawOpen, lip_funnel -> mouthFunnel,
lip_pucker -> mouthPucker, lip_press -> mouthPress*, lip_stretch -> mouthStretch*,
lower_lip_tuck -> mouthRollLower); where an AU and a mouth control share a blendshape the
larger wins. Gaze maps to eyeLook* (a quarter eye width = 1.0).

File layout (columnar; arrays are [frames][names]):
    {"format": "emoface-curves/1", "fps": 25.0, "frame_count": T, "time_s": [T],
     "blendshape_names": [52], "blendshapes": [T][52],
     "au_ids": [17], "aus": [T][17] (mean of sides), "aus_left": [T][17], "aus_right": [T][17],
     "head_pose_names": ["pitch", "yaw", "roll"], "head_pose_deg": [T][3],
     "head_pose_convention": "...", "au_scale": "..."}

With `--emotion auto` the document also has "emotion_auto": one entry per sentence with what
was chosen and why (`control.auto.SentenceChoice.as_dict`): start_s, end_s, key_s (when the
face starts to change), text, emotion, level, valence, vader_compound, votes (NRC votes per
emotion), emotion_words (word -> its lexicon emotions), voice (rate_syl_s, f0_median_hz,
f0_range_st, pitch_rel_st, loudness_rel_db, arousal) and reason (the line `-v` logs).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..analyze.aus import AU_BLENDSHAPES
from ..io.images import atomic_output
from ..motion.performance import JAW_OPEN_PER_AU26, Performance
from ..vocab import AU_IDS, AU_INDEX, AU_MAX, BLENDSHAPE_INDEX, BLENDSHAPE_NAMES, MOUTH_INDEX

GAZE_FULL = 0.25  # eye widths for eyeLook* = 1


def blendshape_curves(performance: Performance) -> np.ndarray:
    """-> [T, 52] float32 ARKit blendshape activations in [0, 1]."""
    n = len(performance)
    out = np.zeros((n, len(BLENDSHAPE_NAMES)), np.float32)
    aus = np.clip(performance.aus / AU_MAX, 0.0, 1.0)
    for au, (left, right) in AU_BLENDSHAPES.items():
        k = AU_INDEX[au]
        if left == right:
            out[:, BLENDSHAPE_INDEX[left]] = aus[:, k].mean(1)
        else:
            out[:, BLENDSHAPE_INDEX[left]] = aus[:, k, 0]
            out[:, BLENDSHAPE_INDEX[right]] = aus[:, k, 1]
    mouth = performance.mouth

    def raise_to(name, values):
        i = BLENDSHAPE_INDEX[name]
        out[:, i] = np.maximum(out[:, i], values)

    jaw_total = aus[:, AU_INDEX[26]].mean(1) + mouth[:, MOUTH_INDEX["jaw_open"]] / (JAW_OPEN_PER_AU26 * AU_MAX)
    out[:, BLENDSHAPE_INDEX["jawOpen"]] = np.clip(jaw_total, 0, 1)
    raise_to("mouthFunnel", mouth[:, MOUTH_INDEX["lip_funnel"]])
    raise_to("mouthPucker", mouth[:, MOUTH_INDEX["lip_pucker"]])
    raise_to("mouthRollLower", mouth[:, MOUTH_INDEX["lower_lip_tuck"]])
    for side in ("Left", "Right"):
        raise_to(f"mouthPress{side}", mouth[:, MOUTH_INDEX["lip_press"]])
        raise_to(f"mouthStretch{side}", mouth[:, MOUTH_INDEX["lip_stretch"]])
    gx = np.clip(performance.gaze[:, 0] / GAZE_FULL, -1, 1)
    gy = np.clip(performance.gaze[:, 1] / GAZE_FULL, -1, 1)
    # image right (+x) is the subject's left: left eye looks out, right eye looks in
    out[:, BLENDSHAPE_INDEX["eyeLookOutLeft"]] = np.clip(gx, 0, 1)
    out[:, BLENDSHAPE_INDEX["eyeLookInRight"]] = np.clip(gx, 0, 1)
    out[:, BLENDSHAPE_INDEX["eyeLookInLeft"]] = np.clip(-gx, 0, 1)
    out[:, BLENDSHAPE_INDEX["eyeLookOutRight"]] = np.clip(-gx, 0, 1)
    for side in ("Left", "Right"):
        out[:, BLENDSHAPE_INDEX[f"eyeLookDown{side}"]] = np.clip(gy, 0, 1)
        out[:, BLENDSHAPE_INDEX[f"eyeLookUp{side}"]] = np.clip(-gy, 0, 1)
    return np.clip(out, 0.0, 1.0)


def curves_dict(performance: Performance, extra: dict | None = None) -> dict:
    """The JSON document (see the module docstring); `extra` members are added at the end."""
    n = len(performance)

    def r(a):
        return np.round(np.asarray(a, np.float64), 4).tolist()

    return {
        "format": "emoface-curves/1",
        "fps": performance.fps,
        "frame_count": n,
        "time_s": r(np.arange(n) / performance.fps),
        "blendshape_names": list(BLENDSHAPE_NAMES),
        "blendshapes": r(blendshape_curves(performance)),
        "au_ids": list(AU_IDS),
        "au_scale": "FACS intensity 0-5 (OpenFace scale); absolute, not relative to the portrait",
        "aus": r(performance.aus.mean(2)),
        "aus_left": r(performance.aus[:, :, 0]),
        "aus_right": r(performance.aus[:, :, 1]),
        "head_pose_names": ["pitch", "yaw", "roll"],
        "head_pose_deg": r(np.rad2deg(performance.head)),
        "head_pose_convention": "degrees relative to the portrait's pose; image axes x right, "
                                "y down, z away from the camera; positive pitch tips the chin down",
    } | dict(extra or {})


def save_curves(path, performance: Performance, extra: dict | None = None) -> Path:
    """Write the curves JSON atomically (with `extra` members, e.g. "emotion_auto"); returns the path."""
    out = Path(path)
    with atomic_output(out) as tmp:
        tmp.write_text(json.dumps(curves_dict(performance, extra), separators=(",", ":")))
    return out
