"""`emoface eval suite`: the standard evaluation over a media folder, one report.

    run_suite("../shared/media", "report/")   # -> report/report.md, report.json, *.png, videos/

Sections (`evaluate.stills`, `evaluate.talking`, `evaluate.pending`) run in a fixed order under one progress bar; a section that
fails is reported as failed (with the error) and the rest still run; features that do not exist
yet (reenact, edit) are reported as "not built yet", and FID as "skipped" (with the install line)
when the optional torch extra is not installed. Everything is written into a temporary
folder beside the target and moved into place at the end, so an interrupted run leaves no
half-written report.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from ..errors import InputError
from . import config as C, pending, stills, talking
from .media import find_media
from .report import write_report

log = logging.getLogger(__name__)


def check_report_dir(out_dir: Path) -> Path:
    """The report folder: may exist (files are replaced); its parent must exist."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"cannot write the report to {out_dir}: it is a file, not a folder")
    parent = out_dir.resolve().parent
    if not parent.is_dir():
        raise InputError(f"cannot write the report to {out_dir}: the folder {parent} does not exist")
    return out_dir


def run_suite(media_root: str | os.PathLike, out_dir: str | os.PathLike,
              config: C.SuiteConfig | None = None, progress: bool = False) -> dict:
    """Run every section over `media_root` and write the report into `out_dir`.

    Returns the results dict (what report.json holds). Raises `InputError` for a missing or
    empty media folder or an unusable output folder, before any work.
    """
    from tqdm import tqdm

    from .. import __version__

    config = config or C.SuiteConfig()
    media = find_media(media_root)
    out_dir = check_report_dir(Path(out_dir))
    start = time.perf_counter()
    parent = out_dir.resolve().parent
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=parent) as staging, \
            tempfile.TemporaryDirectory(prefix="emoface-suite-") as scratch:
        folder, work = Path(staging), Path(scratch)
        (folder / "videos").mkdir()
        commands = pending.cli_commands()
        portraits = stills.prepared_portraits(media, config)
        bar = tqdm(total=C.progress_units(media, config, len(portraits), commands) + talking.fid_units(media),
                   desc="emoface eval suite", unit="u", disable=not progress,
                   bar_format="{l_bar}{bar}| {percentage:3.0f}% [{elapsed}<{remaining}{postfix}]")

        def step(label: str, units: int = 1) -> None:
            bar.set_postfix_str(label, refresh=False)
            bar.update(units)

        results: dict = {}

        def section(name: str, fn, *args) -> None:
            t0 = time.perf_counter()
            bar.set_postfix_str(name)
            try:
                results[name] = fn(*args)
            except Exception as exc:  # noqa: BLE001 - one broken section must not sink the report
                log.debug("section %s failed", name, exc_info=True)
                results[name] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                                 "traceback": traceback.format_exc(limit=6)}
            results[name]["seconds"] = time.perf_counter() - t0

        section("express", stills.run_express, portraits, config, step, folder)
        section("au_edits", stills.run_au_edits, portraits, config, step)
        section("talking", talking.run_talking, media, portraits, config, step, work, folder)
        section("real_speakers", talking.run_real_speakers, media, config, step, work, folder / "videos")
        section("real_clips", talking.run_real_clips, media, config, step)
        clips = results["real_clips"].get("clips", {})
        section("reenact", pending.run_reenact, media, config, step, work, clips)
        section("edit", pending.run_edit, media, config, step, work)
        section("fid", talking.run_fid, media, step, folder / "videos", results["real_speakers"])
        bar.close()
        results["meta"] = {
            "media": str(media.root), "version": __version__, "cpu_count": os.cpu_count(),
            "wall_s": time.perf_counter() - start,
            "finished": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "config": {k: v for k, v in vars(config).items()},
            "portraits": [p.name for p in media.portraits], "talking": [p.name for p in media.talking],
            "clips": [p.name for p in media.clips], "speech": [p.name for p in media.speech]}
        results = write_report(results, folder)
        _move_into_place(folder, out_dir)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(out_dir, 0o777 & ~umask)  # the staging folder was private (0700)
    return results


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Move the finished report from `staging` to `out_dir` (replacing same-named files)."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        staging.mkdir()  # TemporaryDirectory's cleanup expects it
        return
    for item in staging.iterdir():
        target = out_dir / item.name
        if target.is_dir() and item.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
