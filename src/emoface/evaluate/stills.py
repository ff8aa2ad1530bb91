"""Suite sections on still renders: the express grid (fer judge) and single-AU edits.

Each `run_*` returns a JSON-ready dict with "status"; `step(label, units)` advances the suite's
progress bar. Convention: images RGB uint8 [H, W, 3]; levels on emoface's scale (0 neutral,
1-3 MEAD's levels, > 3 stronger); AUs on the 0-5 scale.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..vocab import AU_IDS, AU_NAMES
from .config import SuiteConfig
from .media import Media

Step = Callable[..., None]
AU_MOVE_MIN = 0.1   # an AU edit counts as moving its reading when the change exceeds this (0-5 scale)


def prepared_portraits(media: Media, config: SuiteConfig) -> list:
    """[(path, Prepared | error message)] for the portraits the suite uses."""
    from ..errors import EmofaceError
    from ..pipeline import prepare

    out = []
    for path in media.portraits[: config.max_portraits]:
        try:
            out.append((path, prepare(path, config.express_size)))
        except EmofaceError as exc:
            out.append((path, str(exc)))
    return out


def _thumb(prepared, rgb: np.ndarray, px: int) -> np.ndarray:
    """Square face crop of a render, px x px (for contact sheets)."""
    from ..viz.contact_sheet import _resize, face_crop_box

    x0, y0, x1, y1 = face_crop_box(prepared.analysis.landmarks_px, rgb.shape[:2])
    return _resize(np.ascontiguousarray(rgb[y0:y1, x0:x1]), (px, px))


def _caption(thumb: np.ndarray, probs: dict | None, emotion: str) -> np.ndarray:
    """The thumbnail with the judge's p(emotion) and top class written along its bottom edge."""
    from PIL import Image, ImageDraw, ImageFont

    text = "no face" if not probs else f"{probs[emotion]:.2f}  {max(probs, key=probs.get)}"
    im = Image.fromarray(thumb)
    draw = ImageDraw.Draw(im)
    size = max(9, thumb.shape[0] // 11)
    draw.rectangle((0, thumb.shape[0] - size - 4, thumb.shape[1], thumb.shape[0]), fill=(0, 0, 0))
    draw.text((3, thumb.shape[0] - size - 3), text, fill=(255, 255, 255),
              font=ImageFont.load_default(size=size))
    return np.asarray(im)


def run_express(portraits: list, config: SuiteConfig, step: Step, sheets_dir: Path) -> dict:
    """Judge each portrait rendered at every emotion x level; contact sheets to sheets_dir."""
    from ..io.images import save_image
    from ..judge.dlib_face import identity_embedding
    from ..judge.emotion import judge_emotion
    from ..pipeline import render_expression
    from ..viz.contact_sheet import contact_sheet

    per_portrait = {}
    for path, prepared in portraits:
        if isinstance(prepared, str):
            per_portrait[path.name] = {"error": prepared}
            continue
        source_emb = identity_embedding(prepared.image)
        neutral = render_expression(prepared, "neutral", 0.0)
        neutral_probs = judge_emotion(neutral)
        step("express")
        cells, result = [], {"neutral_level0": neutral_probs, "emotions": {}}
        for emotion in config.emotions:
            row, probs_by_level = [], {}
            for level in config.levels:
                rgb = neutral if level == 0 else render_expression(prepared, emotion, level)
                probs = neutral_probs if level == 0 else judge_emotion(rgb)
                if level != 0:
                    step("express")
                probs_by_level[f"{level:g}"] = probs
                row.append(_caption(_thumb(prepared, rgb, config.thumb_px), probs, emotion))
            top = max(config.levels)
            ident = None
            if source_emb is not None:
                emb = identity_embedding(rgb)  # the top level's render
                ident = None if emb is None else float(np.linalg.norm(emb - source_emb))
            result["emotions"][emotion] = {"judge": probs_by_level, "identity_distance_top_level": ident,
                                           "top_level": top}
            cells.append(row)
        per_portrait[path.name] = result
        sheet = contact_sheet(cells, list(config.emotions), [f"level {lv:g}" for lv in config.levels],
                              title=f"{path.name}: express; fer p(row emotion) and top class")
        save_image(sheets_dir / f"express_{path.stem}.png", sheet)
    return {"status": "ok", "portraits": per_portrait, "summary": summarize_express(per_portrait, config)}


def summarize_express(per_portrait: dict, config: SuiteConfig) -> dict:
    """Per emotion and level: accuracy (fer top class == emotion), mean target probability,
    share of portraits whose probability rises at every level step, identity distances."""
    summary = {}
    ok = {k: v for k, v in per_portrait.items() if "emotions" in v}
    for emotion in config.emotions:
        acc, prob = {}, {}
        for level in config.levels:
            key = f"{level:g}"
            judged = [v["emotions"][emotion]["judge"][key] for v in ok.values()]
            judged = [j for j in judged if j]
            acc[key] = float(np.mean([max(j, key=j.get) == emotion for j in judged])) if judged else None
            prob[key] = float(np.mean([j[emotion] for j in judged])) if judged else None
        rising = []
        for v in ok.values():
            seq = [v["emotions"][emotion]["judge"][f"{lv:g}"] for lv in config.levels]
            if all(seq):
                p = [s[emotion] for s in seq]
                rising.append(all(b > a for a, b in zip(p, p[1:])))
        idents = [v["emotions"][emotion]["identity_distance_top_level"] for v in ok.values()]
        idents = [d for d in idents if d is not None]
        summary[emotion] = {"accuracy": acc, "target_probability": prob,
                            "rising_fraction": float(np.mean(rising)) if rising else None,
                            "identity_median": float(np.median(idents)) if idents else None,
                            "identity_max": float(np.max(idents)) if idents else None}
    neutral = [v["neutral_level0"] for v in ok.values() if v["neutral_level0"]]
    summary["neutral (level 0)"] = {"accuracy": {"0": float(np.mean(
        [max(j, key=j.get) == "neutral" for j in neutral])) if neutral else None}}
    return summary


def carrier_emotion(au: int) -> str | None:
    """The emotion whose level-3 prototype shows `au` most (the base of the -delta edit)."""
    from ..control.prototypes import LEVEL3

    shows = {emotion: aus.get(au, 0.0) for emotion, aus in LEVEL3.items()}
    best = max(shows, key=shows.get)
    return best if shows[best] > 0 else None


def run_au_edits(portraits: list, config: SuiteConfig, step: Step) -> dict:
    """Each AU edited by +au_delta from the portrait as it is, and by -au_delta from the
    portrait showing the AU (its carrier emotion at level 3, like LES Fig. 8's edits of an
    emotional face, so that there is something to remove); change of the re-read AUs."""
    from ..analyze.geometry_aus import read_aus_geometry
    from ..analyze.landmarker import analyze_image
    from ..errors import NoFaceError
    from ..pipeline import render_expression
    from ..vocab import AU_INDEX

    def reading(emotion, level, edits=None):
        return read_aus_geometry(analyze_image(render_expression(prepared, emotion, level, edits)))

    changes = {}
    for path, prepared in portraits:
        if isinstance(prepared, str):
            continue
        base = reading(None, 0.0)
        step("AU edits")
        per_au = {}
        for au in config.aus:
            carrier = carrier_emotion(au)
            entry = {"source_reading": float(prepared.source_aus[AU_INDEX[au]].mean()),
                     "minus_base": f"{carrier}@3" if carrier else "portrait"}
            for sign, name in ((1, "plus"), (-1, "minus")):
                emotion, level = (carrier, 3.0) if sign < 0 and carrier else (None, 0.0)
                try:
                    start = base if emotion is None else reading(emotion, level)
                    entry[name] = (reading(emotion, level, {au: sign * config.au_delta})
                                   - start).astype(float).tolist()  # [17] change per AU
                except NoFaceError:
                    entry[name] = None
                step("AU edits")
            per_au[str(au)] = entry
        changes[path.name] = per_au
    return {"status": "ok", "delta": config.au_delta, "reader": "MediaPipe landmarks + blendshapes "
            "(analyze.geometry_aus): the pipeline's own analysis, not an independent judge",
            "au_order": list(AU_IDS), "portraits": changes, "summary": summarize_au_edits(changes, config)}


def summarize_au_edits(changes: dict, config: SuiteConfig) -> dict:
    """Per AU: mean change of its own reading for +delta and -delta, how many portraits moved
    the requested way (by > AU_MOVE_MIN), which did not (portrait, change), and the other AU
    that moved most (crosstalk)."""
    out = {}
    for au in config.aus:
        k = AU_IDS.index(au)
        carrier = carrier_emotion(au)
        row = {"name": AU_NAMES[au], "minus_base": f"{carrier}@3" if carrier else "portrait"}
        for name, sign in (("plus", 1), ("minus", -1)):
            vecs, portraits = [], []
            for portrait, per_au in changes.items():
                entry = per_au.get(str(au))
                if not entry or entry.get(name) is None:
                    continue
                vecs.append(np.asarray(entry[name]))
                portraits.append(portrait)
            if not vecs:
                row[name] = {"own_change": None, "moved": 0, "of": 0, "crosstalk": None, "missed": []}
                continue
            mean = np.mean(vecs, axis=0)
            others = np.abs(mean).copy()
            others[k] = -1
            j = int(np.argmax(others))
            moved = [sign * v[k] > AU_MOVE_MIN for v in vecs]
            row[name] = {"own_change": float(mean[k]), "moved": int(sum(moved)), "of": len(vecs),
                         "crosstalk": {"au": AU_IDS[j], "change": float(mean[j])},
                         "missed": [{"portrait": p, "change": float(v[k])}
                                    for p, v, ok in zip(portraits, vecs, moved) if not ok]}
        out[str(au)] = row
    return out


