"""Calibrate analyze.aus.SPAN: how much each AU's blendshape score moves when the rig renders it.

For every portrait: render each of the 17 AUs alone at +5 (on both sides), re-analyse the
output, and take the change of that AU's blendshape score. The median over portraits is the
SPAN that makes "render AU k at 5" read back as ~5. Also prints the crosstalk: how far the
other AUs' readings moved.

    .venv/bin/python bench/calibrate_au_reading.py [--media DIR] [--intensity 5]
"""
from __future__ import annotations

import argparse
import glob
import os

import numpy as np

from emoface.analyze.aus import AU_BLENDSHAPES
from emoface.analyze.landmarker import analyze_image
from emoface.pipeline import prepare, render_params
from emoface.types import RigParams
from emoface.vocab import AU_IDS, BLENDSHAPE_INDEX


def raw_scores(blendshapes: np.ndarray) -> np.ndarray:
    """[17] mean (left, right) blendshape score of each AU's blendshapes."""
    return np.array([np.mean([blendshapes[BLENDSHAPE_INDEX[n]] for n in AU_BLENDSHAPES[au]])
                     for au in AU_IDS])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "media"))
    parser.add_argument("--intensity", type=float, default=5.0)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(args.media, "images", "*")))
    gains = np.zeros((len(paths), len(AU_IDS)))
    cross = np.zeros((len(paths), len(AU_IDS), len(AU_IDS)))
    for p, path in enumerate(paths):
        prepared = prepare(path, size=args.size)
        base = raw_scores(analyze_image(render_params(prepared, RigParams())).blendshapes)
        for k in range(len(AU_IDS)):
            delta = np.zeros((len(AU_IDS), 2), np.float32)
            delta[k] = args.intensity
            out = render_params(prepared, RigParams(au_delta=delta))
            change = raw_scores(analyze_image(out).blendshapes) - base
            gains[p, k] = change[k]
            cross[p, k] = change
    print(f"{'AU':>4} {'median d(score)':>16}  per portrait        largest crosstalk")
    for k, au in enumerate(AU_IDS):
        med_cross = np.median(cross[:, k], axis=0)
        med_cross[k] = 0
        j = int(np.argmax(np.abs(med_cross)))
        print(f"{au:>4} {np.median(gains[:, k]):16.3f}  {np.round(gains[:, k], 2)}  AU{AU_IDS[j]} {med_cross[j]:+.3f}")


if __name__ == "__main__":
    main()
