"""`report.md`, `report.json` and the PNG plots of `emoface eval suite`.

`write_report(results, folder)` takes the suite's JSON-ready dict (sections keyed by name, plus
`meta`) and writes everything into `folder` (which already holds the contact sheets and videos
the sections saved). Numbers are printed as measured; None shows as "-".
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from . import plots
from .stills import AU_MOVE_MIN

SECTION_TITLES = {
    "express": "Still expressions (`express`), judged by fer",
    "au_edits": "Single-AU edits (+/-), re-read by the pipeline's analysis",
    "talking": "Talking with an emotion (`animate`), judged by fer",
    "real_speakers": "Real speakers: animate the first frame with the speaker's own sound",
    "real_clips": "The judges on real footage (baseline)",
    "reenact": "Reenact (`emoface reenact`, issue 4)",
    "edit": "Edit a talking video's emotion (`emoface edit`, issue 5)",
    "fid": "FID (Inception features)",
}


def fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return lines + [""]


def _express(sec: dict, folder: Path) -> list[str]:
    s = sec["summary"]
    emotions = [e for e in s if "target_probability" in s[e]]
    levels = [lv for lv in s[emotions[0]]["accuracy"] if float(lv) > 0] if emotions else []
    out = ["Top-1 accuracy of fer per level (share of portraits whose top class is the target) "
           "and mean target probability at the top level; "
           "'rising' = share of portraits whose target probability rises at every level step; "
           "identity = dlib distance of the top-level render to the source (< 0.6 same person).", ""]
    rows = [[e] + [s[e]["accuracy"][lv] for lv in levels]
            + [s[e]["target_probability"][levels[-1]], s[e]["rising_fraction"],
               s[e]["identity_median"], s[e]["identity_max"]] for e in emotions]
    out += table(["emotion"] + [f"acc L{lv}" for lv in levels]
                 + [f"p(target) L{levels[-1]}", "rising", "identity median", "identity max"], rows)
    neutral = s.get("neutral (level 0)", {}).get("accuracy", {}).get("0")
    out += [f"Level-0 renders read as neutral: {fmt(neutral)} of portraits. "
            "The judge has no contempt class, so contempt is not measured.", ""]
    out += ["![accuracy](express_accuracy.png)", "", "![probability](express_probability.png)", ""]
    out += ["Contact sheets: " + ", ".join(f"[{p.name}]({p.name})"
                                            for p in sorted(folder.glob("express_*.png"))
                                            if p.name not in ("express_accuracy.png",
                                                              "express_probability.png")), ""]
    return out


def _au_edits(sec: dict) -> list[str]:
    out = [f"Each AU edited by +{sec['delta']:g} from the portrait as it is, and by -{sec['delta']:g} "
           f"from the portrait showing it (the emotion whose level-3 prototype has the AU most, "
           f"column 'base of -'); the change of that AU's reading (0-5 scale) from the unedited "
           f"render, mean over portraits; 'moved' counts portraits where it moved the requested "
           f"way by > {AU_MOVE_MIN:g}. Reader: {sec['reader']}.", ""]
    rows = []
    for au, r in sec["summary"].items():
        plus, minus = r["plus"], r["minus"]
        cross = plus.get("crosstalk") or {}
        rows.append([f"AU{au}", r["name"], plus["own_change"], f"{plus['moved']}/{plus['of']}",
                     minus["own_change"], f"{minus['moved']}/{minus['of']}", r.get("minus_base", "-"),
                     f"AU{cross['au']} {cross['change']:+.2f}" if cross else "-"])
    out += table(["AU", "name", f"+{sec['delta']:g}: change", "moved", f"-{sec['delta']:g}: change",
                  "moved", "base of -", "largest other change (+)"], rows)
    misses = [f"AU{au} {sign}{sec['delta']:g} on {m['portrait']} ({m['change']:+.2f})"
              for au, r in sec["summary"].items() for name, sign in (("plus", "+"), ("minus", "-"))
              for m in r[name].get("missed", ())]
    out += [f"Not moved the requested way: {'; '.join(misses) if misses else 'none'}.", ""]
    return out + ["![AU edits](au_edits.png)", ""]


def _talking(sec: dict) -> list[str]:
    out = [f"Every portrait speaks `{sec['speech']}` at level {sec['level']:g}, {sec['size']} px; "
           f"fer judges every {sec['judge_stride']}th frame. 'top class' = share of videos whose mean "
           "probabilities put the target first.", ""]
    rows = [[e, v["accuracy"], v["target_probability"], v["top_class_match"], v["identity_distance"],
             v["face_fraction"]] for e, v in sec["summary"].items()]
    out += table(["emotion", "frame accuracy", "mean p(target)", "top class", "identity", "face fraction"],
                 rows)
    rows = [[r["portrait"], r["emotion"], r["judge_accuracy"], r["judge_top_class"], r["cpbd"],
             r["lip_timing"]] for r in sec["runs"].values()]
    out += table(["portrait", "emotion", "accuracy", "judge top class", "CPBD", "lip timing"], rows)
    return out + ["![talking](talking_accuracy.png)", "",
                  "Middle frames: [talking_middle_frames.png](talking_middle_frames.png)", ""]


def _real_speakers(sec: dict) -> list[str]:
    out = ["emoface animates each real video's first frame with the video's own sound (same fps and "
           "size) and is compared to the real video: mouth_r = Pearson r of dlib mouth opening at "
           "the best lag within +-10 frames (lag > 0: emoface late); LMD after similarity alignment "
           "(px); PSNR/SSIM on time-aligned frames (emoface's head moves on its own, so these are "
           "low by design); identity vs the first frame.", ""]
    keys = ["mouth_r", "mouth_lag_frames", "m_lmd_px", "f_lmd_px", "m_lvd_px", "f_lvd_px", "psnr_db",
            "ssim", "cpbd", "identity_distance", "face_fraction"]
    rows = [[name] + [r["metrics"].get(k) for k in keys] + [r["reference_cpbd"], r["lip_timing"]]
            for name, r in sec["runs"].items()]
    out += table(["video"] + keys + ["CPBD of the real video", "lip timing"], rows)
    for name in sec["runs"]:
        out += [f"![mouth {name}](mouth_{Path(name).stem}.png)", ""]
    out += ["Videos: " + ", ".join(f"[{Path(r['output']).name}]({r['output']})"
                                   for r in sec["runs"].values()), ""]
    return out


def _real_clips(sec: dict) -> list[str]:
    rows = [[name, c["label"], c["judge_top_class"], c["judge_accuracy"], c["face_fraction"], c["cpbd"]]
            for name, c in sec["clips"].items()]
    return ["What the judges say about real footage: read the other sections against this.", ""] + \
        table(["clip", "emotion in its name", "fer top class", "frame accuracy", "face fraction", "CPBD"],
              rows)


def _reenact(sec: dict) -> list[str]:
    rows = [[k, p.get("reference_top_class"), p.get("output_top_class"), p.get("match"), p.get("error", "")]
            for k, p in sec["pairs"].items()]
    return [f"Class match rate {fmt(sec['class_match_rate'])} (target >= {sec['target']:g}).", ""] + \
        table(["portrait | clip", "judge on clip", "judge on output", "match", "error"], rows)


def _edit(sec: dict) -> list[str]:
    rows = [[k, r.get("mouth_r"), r.get("mouth_lag_frames"), r.get("judge_accuracy"), r.get("judge_top_class"),
             r.get("identity_distance"), r.get("frames_per_s"), r.get("error", "")] for k, r in sec["runs"].items()]
    return table(["video | emotion", "mouth r vs input", "lag", "judge accuracy", "judge top class",
                  "identity", "frames/s", "error"], rows)


def _fid(sec: dict) -> list[str]:
    real, out_frames = sec["real_frames"], sec["output_frames"]
    halves = sec.get("real_halves_frames") or [None, None]
    floor = ("too few frames for a real-vs-real floor" if sec.get("real_halves_fid") is None else
             f"the real footage against itself (first half vs second half of each video, {halves[0]} "
             f"vs {halves[1]} frames, so if anything higher than a same-size floor) scores "
             f"{fmt(sec['real_halves_fid'], 1)}")
    out = [f"FID of emoface's real-speaker outputs against the real videos' frames: "
           f"**{fmt(sec['fid'], 1)}** ({real} real vs {out_frames} emoface frames, pooled over speakers). "
           f"Features: {sec['model']}. 0 = the same feature statistics; with far fewer than 2048 "
           f"frames FID is biased upward, so compare it only with runs of the same size. Floor: {floor}.",
           ""]
    rows = [[name, r["fid"], r["real_frames"], r["output_frames"], r["stride"]]
            for name, r in sec["per_video"].items()]
    return out + table(["video", "FID", "real frames", "emoface frames", "every n-th frame"], rows)


RENDERERS = {"express": _express, "au_edits": lambda s, f: _au_edits(s), "talking": lambda s, f: _talking(s),
             "real_speakers": lambda s, f: _real_speakers(s), "real_clips": lambda s, f: _real_clips(s),
             "reenact": lambda s, f: _reenact(s), "edit": lambda s, f: _edit(s), "fid": lambda s, f: _fid(s)}


def draw_plots(results: dict, folder: Path) -> list[str]:
    """All PNG plots for the sections that ran; returns the file names written."""
    written = []
    sec = results.get("express", {})
    if sec.get("status") == "ok":
        written += [plots.express_accuracy(sec, folder / "express_accuracy.png"),
                    plots.express_probability(sec, folder / "express_probability.png")]
    sec = results.get("au_edits", {})
    if sec.get("status") == "ok":
        written.append(plots.au_edit_matrix(sec, folder / "au_edits.png"))
    sec = results.get("talking", {})
    if sec.get("status") == "ok":
        written.append(plots.talking_accuracy(sec, folder / "talking_accuracy.png"))
    sec = results.get("real_speakers", {})
    for name, run in (sec.get("runs") or {}).items():
        written.append(plots.mouth_traces(name, run, folder / f"mouth_{Path(name).stem}.png"))
    return [p.name for p in written if p is not None]


def markdown(results: dict, folder: Path) -> str:
    meta = results["meta"]
    lines = ["# emoface evaluation report", "",
             f"Media: `{meta['media']}`; emoface {meta['version']}; {meta['cpu_count']} CPU cores; "
             f"wall time {meta['wall_s']:.0f} s; {meta['finished']}.", "",
             "Judges are models the generator does not use (DESIGN.md): fer's 7-class emotion CNN, "
             "dlib's 68 landmarks and identity embedding; CPBD sharpness (Narvekar & Karam 2011). "
             "The AU-edit table is the exception (MediaPipe-based re-reading).", "",
             "| section | status | seconds |", "|---|---|---|"]
    for key, title in SECTION_TITLES.items():
        sec = results.get(key, {})
        lines.append(f"| {title} | {sec.get('status', '-')} | {fmt(sec.get('seconds'), 0)} |")
    lines.append("")
    for key, title in SECTION_TITLES.items():
        sec = results.get(key, {})
        lines += [f"## {title}", ""]
        status = sec.get("status", "-")
        if status != "ok":
            lines += [f"**{status}**" + (f": {sec['note']}" if sec.get("note") else "")
                      + (f" ({sec['error']})" if sec.get("error") else ""), ""]
            continue
        lines += RENDERERS[key](sec, folder)
    return "\n".join(lines) + "\n"


def clean_json(obj):
    """A copy of nested dicts/lists with NaN/inf -> None and numpy scalars -> Python numbers."""
    if isinstance(obj, dict):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    if isinstance(obj, (bool, str)) or obj is None:
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return str(obj)


def write_report(results: dict, folder: Path) -> dict:
    """The plots, report.json and report.md, all into `folder`; returns the cleaned results."""
    folder = Path(folder)
    results = clean_json(results)
    results["meta"]["plots"] = draw_plots(results, folder)
    (folder / "report.json").write_text(json.dumps(results, indent=1, allow_nan=False))
    (folder / "report.md").write_text(markdown(results, folder))
    return results
