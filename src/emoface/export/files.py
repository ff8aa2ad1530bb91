"""The `--export-curves` (JSON) and `--export-les` (CSV) files of one performance, as every
video command writes them (`animate`, `say`, timelines, `reenact`)."""
from __future__ import annotations

from ..motion.performance import Performance


def save_exports(performance: Performance, curves_path=None, les_path=None, keys=(),
                 transition_s: float = 0.0, name: str = "", extra: dict | None = None) -> None:
    """Write whichever of the two files is asked for (None = not asked), atomically.

    curves_path: JSON of per-frame blendshapes / AUs / head pose (`export.curves`), with
    `extra` members added (e.g. "emotion_auto"); les_path: CSV of per-frame LES vectors
    (`export.les`), labelled from the emotion `keys` ([EmotionKey]) eased over `transition_s`
    seconds; name: the clip's name in the CSV (the output's stem)."""
    if curves_path is not None:
        from .curves import save_curves

        save_curves(curves_path, performance, extra)
    if les_path is not None:
        from .les import les_clip, save_les

        save_les(les_path, les_clip(performance.aus, performance.fps, list(keys), transition_s, name))
