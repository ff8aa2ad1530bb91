#!/usr/bin/env python
"""EmoHead hyperplane refinement on vs off, side by side, graded by the independent judges.

For every portrait in --media and each emotion the judge knows (not neutral, not contempt) at
each --levels, the same expression is rendered twice, with `target_aus(..., refine=False)` and
`refine=True`, both as a still (closed mouth) and as a talking frame (the jaw half open, as
mid-word). Each render is graded by fer (top-1 = target? probability of the target) and by
dlib's identity distance to the source portrait. The table prints the medians and accuracies
per condition; --json keeps every number; --sheet writes a contact sheet (off | on pairs).

    .venv/bin/python bench/refine_ab.py --json out/refine/refine.json --sheet out/refine/sheet.png
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from emoface.animate import talking_target_aus  # noqa: E402
from emoface.control.les import target_aus  # noqa: E402
from emoface.judge.dlib_face import identity_embedding  # noqa: E402
from emoface.judge.emotion import judge_emotion, top_emotion  # noqa: E402
from emoface.pipeline import prepare, render_params  # noqa: E402
from emoface.types import RigParams  # noqa: E402
from emoface.vocab import MOUTH_CONTROLS, MOUTH_INDEX  # noqa: E402

MEDIA = Path(os.environ.get("EMOFACE_MEDIA") or REPO.parent / "shared" / "media") / "images"
EMOTIONS = ("angry", "disgusted", "fear", "happy", "sad", "surprised")
TALKING_JAW = 0.5


def render(prepared, emotion: str, level: float, refine: bool, talking: bool) -> np.ndarray:
    if talking:   # as animate does: the portrait's own mouth opening is speech, closed first
        target = talking_target_aus(prepared.source_aus, emotion, level, None, refine)
    else:
        target = target_aus(prepared.source_aus, emotion, level, refine=refine)
    mouth = np.zeros(len(MOUTH_CONTROLS), np.float32)
    if talking:
        mouth[MOUTH_INDEX["jaw_open"]] = TALKING_JAW
    return render_params(prepared, RigParams(au_delta=(target - prepared.source_aus).astype(np.float32),
                                             mouth=mouth))


def grade(image: np.ndarray, emotion: str, source_embedding) -> dict:
    probs = judge_emotion(image)
    top = top_emotion(probs)
    emb = identity_embedding(image)
    distance = (float(np.linalg.norm(emb - source_embedding))
                if emb is not None and source_embedding is not None else None)
    return {"top": top[0] if top else None, "p_target": (probs or {}).get(emotion, 0.0),
            "identity": distance}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", type=Path, default=MEDIA)
    ap.add_argument("--levels", default="2,3")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--sheet", type=Path)
    args = ap.parse_args()
    levels = [float(v) for v in args.levels.split(",")]
    portraits = sorted(p for p in args.media.iterdir() if p.suffix.lower() in {".jpg", ".png", ".jpeg"})
    rows, thumbs = [], []
    for path in portraits:
        prepared = prepare(str(path), args.size)
        source_embedding = identity_embedding(prepared.image)
        for emotion in EMOTIONS:
            for level in levels:
                for talking in (False, True):
                    pair = []
                    for refine in (False, True):
                        image = render(prepared, emotion, level, refine, talking)
                        g = grade(image, emotion, source_embedding)
                        rows.append({"portrait": path.name, "emotion": emotion, "level": level,
                                     "talking": talking, "refine": refine, **g})
                        pair.append((image, g))
                    if level == levels[-1] and not talking:
                        thumbs.append((path.stem[:12], emotion, pair))
        print(f"{path.name}: done", file=sys.stderr)
    print(f"{'condition':24s} {'refine':>6s} {'top-1':>6s} {'p(target)':>10s} {'identity':>9s}  n")
    summary = {}
    for talking in (False, True):
        for level in levels:
            for refine in (False, True):
                sel = [r for r in rows if r["talking"] == talking and r["level"] == level and r["refine"] == refine]
                acc = sum(r["top"] == r["emotion"] for r in sel) / len(sel)
                p = statistics.median(r["p_target"] for r in sel)
                ids = [r["identity"] for r in sel if r["identity"] is not None]
                ident = statistics.median(ids) if ids else float("nan")
                name = f"{'talking' if talking else 'still'} level {level:g}"
                summary[f"{name} refine={refine}"] = {"top1": acc, "p_target_median": p,
                                                      "identity_median": ident, "n": len(sel)}
                print(f"{name:24s} {str(refine):>6s} {acc:6.2f} {p:10.3f} {ident:9.3f}  {len(sel)}")
    per_emotion = {}
    for emotion in EMOTIONS:
        for refine in (False, True):
            sel = [r for r in rows if r["emotion"] == emotion and r["refine"] == refine]
            per_emotion[f"{emotion} refine={refine}"] = sum(r["top"] == emotion for r in sel) / len(sel)
    print("top-1 per emotion (all levels, still + talking):")
    for emotion in EMOTIONS:
        print(f"  {emotion:10s} off {per_emotion[emotion + ' refine=False']:.2f}  "
              f"on {per_emotion[emotion + ' refine=True']:.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "per_emotion": per_emotion, "rows": rows}, indent=1))
    if args.sheet:
        write_sheet(args.sheet, thumbs)
    return 0


def write_sheet(path: Path, thumbs) -> None:
    """Rows of (portrait, emotion): off | on at the top level, labelled with the judge's reading."""
    cells = []
    for stem, emotion, pair in thumbs:
        row = []
        for (image, g), label in zip(pair, ("off", "on")):
            h, w = image.shape[:2]
            side = min(h, w)
            crop = image[(h - side) // 2:(h + side) // 2, (w - side) // 2:(w + side) // 2]
            cell = cv2.resize(crop, (192, 192), interpolation=cv2.INTER_AREA).copy()
            text = f"{emotion[:5]} {label}: {g['top'] or '-'} {g['p_target']:.2f}"
            cv2.putText(cell, text, (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 0), 1)
            row.append(cell)
        cells.append(np.hstack(row))
    per_line = 3
    lines = [np.hstack(cells[i:i + per_line] + [np.zeros_like(cells[0])] * (per_line - len(cells[i:i + per_line])))
             for i in range(0, len(cells), per_line)]
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack(lines), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    raise SystemExit(main())
