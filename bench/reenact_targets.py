"""Issue 4's reenact target: does the portrait read as the same emotion as the video driving it?

Reenacts every shared portrait from every MEAD clip (`emoface reenact PORTRAIT --expression-from
CLIP`), judges the output and the clip with fer's emotion CNN (an independent judge: emoface
never uses it), and prints per pair the reference's class, the output's class (top class of the
mean probabilities over frames, as `emoface eval suite`; the majority class over frames beside
it) and the output's mean probability of the reference's class, then the share of pairs whose
classes match (target >= 80 %). It also reports how well the mouth follows: the Pearson r of
dlib's per-frame mouth opening (output vs clip), and saves a contact sheet (clip frames above the
reenacted frames, face crops) to OUT/contact_sheet.png.

    .venv/bin/python bench/reenact_targets.py [--media DIR] [--out out/reenact] [--size 512]
    .venv/bin/python bench/reenact_targets.py --calibrate   # the constants of reenactment.retarget

The targets are rendered at `emoface reenact`'s default size (512 px long side, about 3 min
15 s here); the judge's class moves with the size on some pairs (at 256 px: 60 % against 53 %
at 512 in session 29), so figures are compared at one size.

--calibrate measures what `reenactment.retarget` uses (MediaPipe readback, no judge): for each
candidate AU and reader, the reading change / 5 when the rig renders that AU at +5 on each
portrait (median and min); the readings' change when the jaw opens (jaw_open 1); the lip-gap
readback (MediaPipe's gap / the rig's gap at jaw_open 0.5 and 1); and the calm readings of
resting faces (the two calm speakers and the three relaxed portraits), with the 95 % one-sided
prediction bounds (Student's t) for the reading of one more resting face: REST_RANGE.
"""
from __future__ import annotations

import argparse
import glob
import os
from pathlib import Path

import numpy as np

MEDIA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "media")
RESTING_VIDEOS = ("hdtf_aoc_8s.mp4", "theresa_may_address_5s.mp4")
RESTING_PORTRAITS = ("painting_chinese_imperial_portrait.png", "vintage_colorized_einstein.jpg",
                     "white_young_woman_elizabeth_olsen.jpg")
SHEET_FRAMES = 2
REST_CONFIDENCE = 0.95


def judge(path: str, stride: int):
    """-> (top class of the mean, majority class, {class: mean prob}, dlib mouth opening [T])."""
    from emoface.evaluate.judging import judge_video
    from emoface.evaluate.video import emotion_scores
    from emoface.judge.dlib_face import mouth_opening
    from emoface.judge.emotion import EMOTION_CLASSES

    j = judge_video(path, emotion=True, emotion_stride=stride, cpbd_stride=0)
    _, _, top, mean = emotion_scores(j, "neutral")
    probs = j.emotion[np.isfinite(j.emotion).all(1)]
    votes = np.bincount(probs.argmax(1), minlength=len(EMOTION_CLASSES))
    majority = EMOTION_CLASSES[int(votes.argmax())]
    mouth = np.array([mouth_opening(lm) if np.isfinite(lm).all() else np.nan for lm in j.landmarks])
    return top, majority, mean, mouth


def frames_at(path: str, indices) -> list[np.ndarray]:
    from emoface.io.video import read_video

    want, out = set(int(i) for i in indices), {}
    for i, rgb in enumerate(read_video(path)):
        if i in want:
            out[i] = rgb
    return [out[int(i)] for i in indices]


def targets(args) -> None:
    from emoface.evaluate.metrics import pearson_at_lag
    from emoface.io.images import save_image
    from emoface.io.video import video_info
    from emoface.reenactment import reenact
    from emoface.viz.contact_sheet import contact_sheet

    portraits = sorted(glob.glob(os.path.join(args.media, "images", "*")))
    clips = sorted(glob.glob(os.path.join(args.media, "video", "mead_*")))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, matches, majority_matches, mouth_r = [], [], [], []
    cells, labels = [], []
    thumb = args.thumb
    print(f"{'pair':<60} {'reference':>9} {'output':>9} {'majority':>9} {'p(ref)':>7} {'mouth r':>8}")
    for clip in clips:
        ref_top, ref_major, _, ref_mouth = judge(clip, args.stride)
        n = video_info(clip).frame_count
        picks = np.round(np.linspace(0.3, 0.7, SHEET_FRAMES) * (n - 1))
        sheet_row = [np.concatenate([_face_crop(f, thumb) for f in frames_at(clip, picks)], 1)]
        for portrait in portraits:
            video = out / f"{Path(portrait).stem}__{Path(clip).stem}.mp4"
            reenact(portrait, clip, video, size=args.size)
            top, major, mean, mouth = judge(str(video), args.stride)
            p_ref = mean[ref_top] if mean else float("nan")
            r = pearson_at_lag(ref_mouth, mouth, 0, min_overlap=3)
            matches.append(top == ref_top)
            majority_matches.append(major == ref_major)
            mouth_r.append(r)
            name = f"{Path(portrait).name} <- {Path(clip).name}"
            print(f"{name:<60} {ref_top:>9} {top or '-':>9} {major:>9} {p_ref:7.2f} {r:8.2f}")
            rows.append(dict(pair=name, reference=ref_top, output=top, majority=major, p_ref=p_ref, mouth_r=r))
            outs = frames_at(str(video), picks)
            sheet_row.append(np.concatenate([_face_crop(f, thumb) for f in outs], 1))
        cells.append(sheet_row)
        labels.append(f"{Path(clip).stem.replace('_256', '')} ({ref_top})")
    print(f"\nclass match (top of mean, as the eval suite): {np.mean(matches):.0%} of {len(matches)} pairs "
          f"(target >= 80%)")
    print(f"class match (majority over frames):           {np.mean(majority_matches):.0%}")
    print(f"mouth opening r (dlib, output vs clip): median {np.nanmedian(mouth_r):.2f}, "
          f"min {np.nanmin(mouth_r):.2f}")
    cols = ["reference"] + [Path(p).stem[:18] for p in portraits]
    sheet = contact_sheet(cells, labels, cols, title="reenact: MEAD clip (left) -> each portrait")
    save_image(out / "contact_sheet.png", sheet)
    print(f"contact sheet: {out / 'contact_sheet.png'}")


def _face_crop(rgb: np.ndarray, side: int) -> np.ndarray:
    """A square crop around the face (dlib's box, grown 1.8x; the centre square if none), resized."""
    from PIL import Image

    from emoface.judge.dlib_face import largest_face_box

    h, w = rgb.shape[:2]
    box = largest_face_box(rgb)
    if box is None:
        s = min(h, w)
        x0, y0 = (w - s) // 2, (h - s) // 2
    else:
        x, y, bw, bh = box
        s = int(min(max(bw, bh) * 1.8, h, w))
        x0 = int(np.clip(x + bw / 2 - s / 2, 0, w - s))
        y0 = int(np.clip(y + bh / 2 - s / 2, 0, h - s))
    return np.asarray(Image.fromarray(rgb[y0:y0 + s, x0:x0 + s]).resize((side, side), Image.Resampling.LANCZOS))


def calibrate(args) -> None:
    from emoface.analyze.landmarker import analyze_image
    from emoface.analyze.track import track_video
    from emoface.io.images import load_image
    from emoface.pipeline import prepare, render_params
    from emoface.reenactment.readings import read_analyses, read_track
    from emoface.reenactment.retarget import (TRANSFER_AUS, calm_reading, expression_readings,
                                              rig_gap_per_jaw_open_cm, smooth_expression)
    from emoface.types import RigParams
    from emoface.vocab import AU_IDS, AU_INDEX

    np.set_printoptions(precision=2, suppress=True, linewidth=200)
    portraits = sorted(glob.glob(os.path.join(args.media, "images", "*")))
    readers = ("blendshape", "geometry", "eye_aperture")

    def read(images) -> dict:
        """reader -> [N, 17] readings of RGB images (mean of sides), plus the lip gap [N]."""
        r = read_analyses([analyze_image(rgb) for rgb in images], 25.0)
        out = {"blendshape": r.aus_blendshape.mean(2), "geometry": r.aus_geometry,
               "eye_aperture": np.repeat(expression_readings_for(r, "eye_aperture"), len(AU_IDS), 1),
               "gap": r.lip_gap_cm}
        return out

    def expression_readings_for(r, reader):
        saved = dict(TRANSFER_AUS)
        TRANSFER_AUS.clear()
        TRANSFER_AUS[5] = (reader, 1.0)
        try:
            return expression_readings(r)[:, AU_INDEX[5], :1]
        finally:
            TRANSFER_AUS.clear()
            TRANSFER_AUS.update(saved)

    gains = {k: [] for k in readers}
    jaw_cross = {k: [] for k in readers}
    gap_ratio = []
    for path in portraits:
        prepared = prepare(path, size=512)
        renders = [render_params(prepared, RigParams())]
        for k in range(len(AU_IDS)):
            delta = np.zeros((len(AU_IDS), 2), np.float32)
            delta[k] = 5.0
            renders.append(render_params(prepared, RigParams(au_delta=delta)))
        for jaw in (0.5, 1.0):
            mouth = np.zeros(6, np.float32)
            mouth[0] = jaw
            renders.append(render_params(prepared, RigParams(mouth=mouth)))
        r = read(renders)
        for reader in readers:
            base = r[reader][0]
            gains[reader].append([(r[reader][1 + k, k] - base[k]) / 5.0 for k in range(len(AU_IDS))])
            jaw_cross[reader].append(r[reader][-1] - base)
        gap_ratio += [(r["gap"][-2] - r["gap"][0]) / (0.5 * rig_gap_per_jaw_open_cm()),
                      (r["gap"][-1] - r["gap"][0]) / rig_gap_per_jaw_open_cm()]
    print("readback gain (reading change / 5 at AU +5, median and min over portraits) and jaw "
          "crosstalk (median reading change at jaw_open 1)")
    print(f"{'AU':>4} " + " ".join(f"{r[:10] + ' med':>15} {'min':>5} {'jaw':>5}" for r in readers))
    for k, au in enumerate(AU_IDS):
        cells = []
        for reader in readers:
            g = np.array(gains[reader])[:, k]
            cells.append(f"{np.median(g):15.2f} {g.min():5.2f} {np.median(np.array(jaw_cross[reader])[:, k]):5.2f}")
        print(f"{au:>4} " + " ".join(cells))
    print(f"lip-gap readback (MediaPipe gap / rig gap, jaw_open 0.5 and 1): median {np.median(gap_ratio):.2f}, "
          f"range {min(gap_ratio):.2f}-{max(gap_ratio):.2f}; rig gap per jaw_open {rig_gap_per_jaw_open_cm():.2f} cm")

    rows = [AU_INDEX[au] for au in TRANSFER_AUS]
    calm = []
    for name in RESTING_VIDEOS:
        r = read_track(track_video(os.path.join(args.media, "video", name)))
        reading, _ = calm_reading(smooth_expression(expression_readings(r), r.fps))
        calm.append(reading.mean(1))
    for name in RESTING_PORTRAITS:
        r = read_analyses([analyze_image(load_image(os.path.join(args.media, "images", name)))], 25.0)
        calm.append(expression_readings(r)[0].mean(1))
    calm = np.array(calm)
    print("calm readings of resting faces (rows: " + ", ".join(RESTING_VIDEOS + RESTING_PORTRAITS) + ")")
    print("AU  ", [AU_IDS[k] for k in rows])
    print(calm[:, rows])
    from scipy.stats import t as student_t

    n = len(calm)
    spread = student_t.ppf(REST_CONFIDENCE, n - 1) * calm.std(0, ddof=1) * np.sqrt(1 + 1 / n)
    lo, hi = calm.mean(0) - spread, calm.mean(0) + spread
    print("observed range: {" + ", ".join(f"{AU_IDS[k]}: ({calm[:, k].min():.1f}, {calm[:, k].max():.1f})"
                                          for k in rows) + "}")
    print(f"REST_RANGE ({REST_CONFIDENCE:.0%} one-sided prediction bounds for one more resting face) = {{"
          + ", ".join(f"{AU_IDS[k]}: ({lo[k]:.1f}, {hi[k]:.1f})" for k in rows) + "}")


def main() -> None:
    from emoface.animate import DEFAULT_SIZE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", default=MEDIA)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "out", "reenact"))
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help=f"output long side px (default {DEFAULT_SIZE}, as `emoface reenact`)")
    parser.add_argument("--stride", type=int, default=1, help="judge every n-th frame's emotion (default 1)")
    parser.add_argument("--thumb", type=int, default=180, help="contact sheet frame px (default 180)")
    parser.add_argument("--calibrate", action="store_true", help="measure the retargeting constants instead")
    args = parser.parse_args()
    calibrate(args) if args.calibrate else targets(args)


if __name__ == "__main__":
    main()
