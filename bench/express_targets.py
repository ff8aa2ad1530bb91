#!/usr/bin/env python
"""Measure `emoface.express` against the foundation targets with the independent judges.

For every portrait in --media and every emotion (default: the six the judge knows besides
neutral), render levels 0, 1, 2, 3 with `emoface.express(image, emotion=..., level=..., aus=None)`
and grade each render with models the generator does not use (DESIGN.md "Judging our own
output"): fer's emotion CNN (`emoface.judge.emotion`) and dlib's identity embedding
(`emoface.judge.dlib_face`).

Targets (a "pair" is one portrait x one emotion):
  * top-1 accuracy at the top level (3): the judge's most probable class is the target emotion
    in >= 80% of pairs;
  * the judge's probability of the target rises strictly with level (0 -> 1 -> 2 -> 3) in every
    pair (failing pairs are listed);
  * dlib identity distance between the source and the top-level render < 0.45 (max and median
    reported; dlib's same-person threshold is 0.6).
The judge's reading of each untouched source is reported too (the judge is noisy: see the
report's notes on fear/angry for talking faces).

Outputs: a table on stdout, all numbers as JSON (--json PATH), and one contact sheet PNG per
portrait in --out (rows = emotions, columns = source + levels, each cell labelled with the
judge's probability of the target and its top class).

    python bench/express_targets.py --json out/targets/targets.json
    python bench/express_targets.py --dry-run          # stand-in express: returns the input

Exit status: 0 done (targets met or not, unless --strict), 1 with --strict and a target missed,
3 when `emoface.express` is not available yet (NotImplementedError / ImportError).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
try:
    import emoface
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO / "src"))
    import emoface

from emoface.errors import EmofaceError
from emoface.judge.dlib_face import SAME_PERSON_THRESHOLD, identity_embedding
from emoface.judge.emotion import EMOTION_CLASSES, judge_emotion, top_emotion

DEFAULT_MEDIA = Path(os.environ.get("EMOFACE_MEDIA") or REPO.parent / "shared" / "media") / "images"
DEFAULT_EMOTIONS = ("angry", "disgusted", "fear", "happy", "sad", "surprised")
DEFAULT_LEVELS = (0.0, 1.0, 2.0, 3.0)
TARGET_TOP1 = 0.80
TARGET_IDENTITY = 0.45
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}

CELL_PX = 192  # contact-sheet cell height in px


class ExpressUnavailable(RuntimeError):
    """`emoface.express` is not implemented yet."""


def load_rgb(path: Path, max_side_px: int) -> np.ndarray:
    """RGB uint8 [H, W, 3] of an image file, shrunk (INTER_AREA) so its long side <= max_side_px.

    max_side_px <= 0 keeps the original size.
    """
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise EmofaceError(f"cannot read image {path}")
    h, w = bgr.shape[:2]
    if max_side_px > 0 and max(h, w) > max_side_px:
        s = max_side_px / max(h, w)
        bgr = cv2.resize(bgr, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(bgr[:, :, ::-1])


def make_renderer(dry_run: bool):
    """(image RGB uint8 [H, W, 3], emotion, level) -> RGB uint8 [H', W', 3]."""
    if dry_run:
        return lambda image, emotion, level: image.copy()

    def render(image, emotion, level):
        try:
            out = emoface.express(image, emotion=emotion, level=level, aus=None)
        except (NotImplementedError, ImportError) as exc:
            raise ExpressUnavailable(f"{type(exc).__name__}: {exc}") from exc
        out = np.asarray(out)
        if out.dtype != np.uint8 or out.ndim != 3 or out.shape[2] != 3:
            raise TypeError(f"express returned {out.dtype} {out.shape}, expected RGB uint8 [H, W, 3]")
        return out

    return render


def strictly_rising(values: list[float | None], min_step: float = 0.0) -> bool:
    """True if every value is present and each exceeds the one before by more than min_step."""
    if any(v is None for v in values):
        return False
    return all(b - a > min_step for a, b in zip(values, values[1:]))


def evaluate_portrait(path: Path, render, emotions, levels, max_side_px: int,
                      min_step: float = 0.0) -> tuple[dict, dict]:
    """Render and judge one portrait -> (JSON-ready results, images for the contact sheet)."""
    source = load_rgb(path, max_side_px)
    source_probs = judge_emotion(source)
    source_emb = identity_embedding(source)
    top_level = max(levels)
    result = {
        "file": path.name,
        "size_hw": list(source.shape[:2]),
        "source_judge": source_probs,
        "source_top": top_emotion(source_probs),
        "source_face_found_by_dlib": source_emb is not None,
        "emotions": {},
    }
    images = {"source": source, "renders": {}}
    for emo in emotions:
        entry = {"levels": list(levels), "judge": [], "target_prob": [], "top": [],
                 "errors": [], "render_s": []}
        row = []
        for level in levels:
            t0 = time.perf_counter()
            try:
                out = render(source, emo, level)
                err = None
            except EmofaceError as exc:  # a user-level failure of express (e.g. no face)
                out, err = None, f"{type(exc).__name__}: {exc}"
            entry["render_s"].append(time.perf_counter() - t0)
            probs = judge_emotion(out) if out is not None else None
            entry["judge"].append(probs)
            entry["target_prob"].append(None if probs is None else probs[emo])
            entry["top"].append(top_emotion(probs))
            entry["errors"].append(err)
            row.append(out)
            if level == top_level:
                emb = identity_embedding(out) if out is not None else None
                entry["identity_distance_top"] = (
                    None if emb is None or source_emb is None
                    else float(np.linalg.norm(emb - source_emb)))
        top = entry["top"][levels.index(top_level)]
        entry["top1_correct_top"] = top is not None and top[0] == emo
        entry["rising"] = strictly_rising(entry["target_prob"], min_step)
        result["emotions"][emo] = entry
        images["renders"][emo] = row
    return result, images


# ---------------------------------------------------------------- contact sheet


def _fit(image: np.ndarray | None, height: int) -> np.ndarray:
    """BGR uint8 [height, w, 3] copy of an RGB image (a grey placeholder if None)."""
    if image is None:
        return np.full((height, height, 3), 60, np.uint8)
    h, w = image.shape[:2]
    w2 = max(1, round(w * height / h))
    return cv2.resize(image, (w2, height), interpolation=cv2.INTER_AREA)[:, :, ::-1].copy()


def _put(img, text, org, scale=0.45, color=(255, 255, 255), thickness=1):
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2,
                cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness, cv2.LINE_AA)


def contact_sheet(result: dict, images: dict, levels) -> np.ndarray:
    """BGR uint8 sheet: rows = emotions, columns = source + levels, judge readings written in."""
    label_w, header_h, band_h = 110, 28, 34
    src = _fit(images["source"], CELL_PX)
    cell_w = src.shape[1]
    emotions = list(result["emotions"])
    cols = 1 + len(levels)
    sheet = np.full((header_h + len(emotions) * (CELL_PX + band_h),
                     label_w + cols * cell_w, 3), 30, np.uint8)
    for c, title in enumerate(["source"] + [f"level {lv:g}" for lv in levels]):
        _put(sheet, title, (label_w + c * cell_w + 6, 20), 0.55)
    _put(sheet, result["file"][:14], (4, 20), 0.4, (200, 200, 200))
    src_top = result["source_top"]
    for r, emo in enumerate(emotions):
        y0 = header_h + r * (CELL_PX + band_h)
        entry = result["emotions"][emo]
        _put(sheet, emo, (6, y0 + CELL_PX // 2), 0.6)
        mark = "rising" if entry["rising"] else "NOT rising"
        _put(sheet, mark, (6, y0 + CELL_PX // 2 + 22), 0.4,
             (120, 220, 120) if entry["rising"] else (90, 90, 255))
        cells = [(images["source"], result["source_judge"], src_top, None)]
        for i, _lv in enumerate(levels):
            cells.append((images["renders"][emo][i], entry["judge"][i], entry["top"][i],
                          entry["errors"][i]))
        for c, (img, probs, top, err) in enumerate(cells):
            x0 = label_w + c * cell_w
            tile = _fit(img, CELL_PX)[:, :cell_w]
            sheet[y0:y0 + CELL_PX, x0:x0 + tile.shape[1]] = tile
            ty = y0 + CELL_PX + 14
            if err is not None:
                _put(sheet, "ERROR", (x0 + 4, ty), 0.45, (90, 90, 255))
                _put(sheet, err[:28], (x0 + 4, ty + 15), 0.33, (90, 90, 255))
            elif probs is None:
                _put(sheet, "judge: no face", (x0 + 4, ty), 0.45, (90, 90, 255))
            else:
                ok = top[0] == emo
                _put(sheet, f"p({emo[:4]})={probs[emo]:.2f}", (x0 + 4, ty), 0.45)
                _put(sheet, f"top {top[0]} {top[1]:.2f}", (x0 + 4, ty + 15), 0.4,
                     (120, 220, 120) if ok else (200, 200, 200))
    return sheet


# ---------------------------------------------------------------- summary and report


def summarize(results: list[dict], levels) -> dict:
    """Aggregate numbers over all (portrait, emotion) pairs."""
    pairs = [(res["file"], emo, e) for res in results for emo, e in res["emotions"].items()]
    n = len(pairs)
    top1 = sum(e["top1_correct_top"] for _, _, e in pairs) / n if n else float("nan")
    failing = [{"portrait": f, "emotion": emo,
                "target_prob": [None if p is None else round(p, 4) for p in e["target_prob"]]}
               for f, emo, e in pairs if not e["rising"]]
    dists = [e.get("identity_distance_top") for _, _, e in pairs]
    known = [d for d in dists if d is not None]
    id_max = max(known) if known else None
    per_emotion = {}
    for emo in dict.fromkeys(emo for _, emo, _ in pairs):
        es = [e for _, em, e in pairs if em == emo]
        per_emotion[emo] = {
            "top1_top": sum(e["top1_correct_top"] for e in es) / len(es),
            "rising": sum(e["rising"] for e in es) / len(es),
            "mean_target_prob": [
                float(np.mean([e["target_prob"][i] for e in es if e["target_prob"][i] is not None]))
                if any(e["target_prob"][i] is not None for e in es) else None
                for i in range(len(levels))],
        }
    render_s = [s for _, _, e in pairs for s in e["render_s"]]
    return {
        "pairs": n,
        "top_level": max(levels),
        "top1_accuracy_top": top1,
        "rising_fraction": (n - len(failing)) / n if n else float("nan"),
        "rising_failures": failing,
        "identity_distance_top": {
            "max": id_max,
            "median": statistics.median(known) if known else None,
            "missing": len(dists) - len(known),
        },
        "per_emotion": per_emotion,
        "render_s_mean": float(np.mean(render_s)) if render_s else None,
        "targets": {
            "top1_accuracy_top>=0.80": bool(n and top1 >= TARGET_TOP1),
            "rising_in_every_pair": bool(n and not failing),
            "identity_distance_max<0.45": bool(
                known and len(known) == len(dists) and id_max < TARGET_IDENTITY),
        },
    }


def _fmt(p) -> str:
    return "   -- " if p is None else f"{p:6.3f}"


def print_report(results: list[dict], summary: dict, levels, dry_run: bool,
                 min_step: float = 0.0) -> None:
    lv = " ".join(f"L{v:<5g}" for v in levels)
    print(f"emoface.express targets{' (DRY RUN: stand-in returns the input)' if dry_run else ''}")
    print("judge = fer CNN (7 classes) on a dlib face box; identity = dlib ResNet embedding\n")
    print("Source portraits as the judge sees them:")
    for res in results:
        top = res["source_top"]
        dist = " ".join(f"{k[:3]}={v:.2f}" for k, v in (res["source_judge"] or {}).items())
        print(f"  {res['file']:<40} {'no face' if top is None else f'{top[0]:<9} {top[1]:.2f}'}"
              f"   [{dist}]")
    print()
    top_title = f"top@L{max(levels):g}"
    header = (f"{'portrait':<28} {'emotion':<10} p(target) {lv}  {top_title:<15} "
              f"{'rising':<6}  id-dist")
    print(header)
    print("-" * len(header))
    for res in results:
        for emo, e in res["emotions"].items():
            probs = " ".join(_fmt(p) for p in e["target_prob"])
            top = e["top"][levels.index(max(levels))]
            top_s = "no face" if top is None else f"{top[0]:<9} {top[1]:.2f}"
            d = e.get("identity_distance_top")
            err = "  ERR" if any(e["errors"]) else ""
            print(f"{res['file'][:28]:<28} {emo:<10} {'':9} {probs}  {top_s:<15} "
                  f"{'yes' if e['rising'] else 'NO ':<6}  {'  -- ' if d is None else f'{d:5.3f}'}{err}")
    print()
    print("Per emotion (mean p(target) per level, top-1 at top level, rising fraction):")
    for emo, s in summary["per_emotion"].items():
        print(f"  {emo:<10} {' '.join(_fmt(p) for p in s['mean_target_prob'])}   "
              f"top1 {s['top1_top']:.0%}   rising {s['rising']:.0%}")
    t = summary["targets"]
    idd = summary["identity_distance_top"]
    print()
    print(f"top-1 accuracy at level {summary['top_level']:g}: {summary['top1_accuracy_top']:.0%} "
          f"of {summary['pairs']} pairs (target >= {TARGET_TOP1:.0%})  "
          f"{'MET' if t['top1_accuracy_top>=0.80'] else 'MISSED'}")
    print(f"p(target) strictly rising with level (step > {min_step:g}): "
          f"{summary['rising_fraction']:.0%} of pairs "
          f"(target 100%)  {'MET' if t['rising_in_every_pair'] else 'MISSED'}")
    for f in summary["rising_failures"]:
        print(f"    not rising: {f['portrait']} / {f['emotion']}: "
              + " -> ".join("--" if p is None else f"{p:.3f}" for p in f["target_prob"]))
    if idd["max"] is None:
        print("identity distance: no face found by dlib in the renders")
    else:
        print(f"identity distance source vs level {summary['top_level']:g}: max {idd['max']:.3f}, "
              f"median {idd['median']:.3f}, missing {idd['missing']} (target max < "
              f"{TARGET_IDENTITY}; same person < {SAME_PERSON_THRESHOLD})  "
              f"{'MET' if t['identity_distance_max<0.45'] else 'MISSED'}")
    if summary["render_s_mean"] is not None:
        print(f"mean render time: {summary['render_s_mean']:.2f} s")


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else round(float(obj), 5)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--media", type=Path, default=DEFAULT_MEDIA,
                    help="folder of portraits (default $EMOFACE_MEDIA/images or ../shared/media/images)")
    ap.add_argument("--out", type=Path, default=Path("out/targets"), help="contact sheets go here")
    ap.add_argument("--json", type=Path, default=None, help="write all numbers to this JSON file")
    ap.add_argument("--dry-run", action="store_true",
                    help="stand-in express that returns the input (tests this harness)")
    ap.add_argument("--emotions", nargs="+", default=list(DEFAULT_EMOTIONS),
                    help=f"emotions to render (judge knows {', '.join(EMOTION_CLASSES)})")
    ap.add_argument("--levels", nargs="+", type=float, default=list(DEFAULT_LEVELS))
    ap.add_argument("--max-side", type=int, default=768,
                    help="shrink portraits to this long side in px first (0 = keep; bounds run time)")
    ap.add_argument("--limit", type=int, default=5, help="at most this many portraits")
    ap.add_argument("--min-step", type=float, default=0.0,
                    help="a pair counts as rising only if each level step adds more than this "
                         "to p(target) (default 0: strictly rising)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any target is missed")
    args = ap.parse_args(argv)

    unknown = [e for e in args.emotions if e not in EMOTION_CLASSES]
    if unknown:
        ap.error(f"the judge cannot grade {unknown}; it knows {list(EMOTION_CLASSES)}")
    levels = sorted(set(args.levels))
    if len(levels) < 2 or levels[0] < 0:
        ap.error("give at least two distinct levels >= 0")
    if not args.media.is_dir():
        ap.error(f"--media {args.media} is not a folder")
    portraits = sorted(p for p in args.media.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    portraits = portraits[: args.limit]
    if not portraits:
        ap.error(f"no images in {args.media}")

    render = make_renderer(args.dry_run)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    t_start = time.perf_counter()
    for path in portraits:
        try:
            res, images = evaluate_portrait(path, render, args.emotions, levels, args.max_side,
                                            args.min_step)
        except ExpressUnavailable as exc:
            print(f"emoface.express is not available yet ({exc}).\n"
                  "Run with --dry-run to check this harness with a stand-in.", file=sys.stderr)
            return 3
        results.append(res)
        sheet_path = args.out / f"{path.stem}.png"
        cv2.imwrite(str(sheet_path), contact_sheet(res, images, levels))
        print(f"[{len(results)}/{len(portraits)}] {path.name}: contact sheet {sheet_path}",
              file=sys.stderr)
    summary = summarize(results, levels)
    summary["wall_s"] = time.perf_counter() - t_start
    print_report(results, summary, levels, args.dry_run, args.min_step)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "config": {"media": str(args.media), "emotions": args.emotions, "levels": levels,
                       "max_side_px": args.max_side, "min_step": args.min_step, "dry_run": args.dry_run,
                       "judge_classes": list(EMOTION_CLASSES),
                       "targets": {"top1_accuracy_top": TARGET_TOP1,
                                   "identity_distance_max": TARGET_IDENTITY}},
            "summary": summary,
            "portraits": results,
        }
        args.json.write_text(json.dumps(_jsonable(payload), indent=1))
        print(f"numbers written to {args.json}")
    if args.strict and not all(summary["targets"].values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
