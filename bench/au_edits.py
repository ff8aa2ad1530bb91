#!/usr/bin/env python
"""Issue 4's AU-edit table (like LES Fig. 8): each of the 17 AUs at +2.5 and -2.5 on every
shared portrait, re-read by the pipeline's analysis; prints the table, writes a heat-map PNG.

+2.5 is applied to the portrait as it is; -2.5 to the portrait showing the AU (the emotion
whose level-3 prototype has it most), so every portrait has something to remove. Target: the
re-read AU moves the requested way (by > 0.1) on every portrait.

    .venv/bin/python bench/au_edits.py --out out/au_edits     # ~10 s on 2 cores (384 px renders)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from emoface.evaluate import plots  # noqa: E402
from emoface.evaluate.config import SuiteConfig  # noqa: E402
from emoface.evaluate.media import find_media  # noqa: E402
from emoface.evaluate.report import _au_edits  # noqa: E402
from emoface.evaluate.stills import prepared_portraits, run_au_edits  # noqa: E402

MEDIA = Path(os.environ.get("EMOFACE_MEDIA") or REPO.parent / "shared" / "media")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", type=Path, default=MEDIA)
    ap.add_argument("--out", type=Path, default=REPO / "out" / "au_edits")
    args = ap.parse_args()
    config = SuiteConfig()
    section = run_au_edits(prepared_portraits(find_media(args.media), config), config, lambda *a: None)
    print("\n".join(_au_edits(section)[:-2]))
    every = [au for au, row in section["summary"].items()
             if row["plus"]["moved"] == row["plus"]["of"] and row["minus"]["moved"] == row["minus"]["of"]]
    print(f"\nAUs that moved the requested way on every portrait, both signs: {len(every)}/17")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "au_edits.json").write_text(json.dumps(section, indent=1))
    plots.au_edit_matrix(section, args.out / "au_edits.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
