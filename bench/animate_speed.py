"""Wall time of `emoface animate` on a 10 s clip, per stage, at 256² and 512².

The clip is the shared LibriSpeech sentence (8.7 s) followed by the start of the HDTF radio
address, cut to exactly 10 s; the portrait is the shared Elizabeth Olsen photo. Each stage is
timed on its own (median of --runs, models already loaded), then the whole command is run cold
in a fresh process (imports and model loading included), which is the number the 5 s target is
about.

    .venv/bin/python bench/animate_speed.py [--media ../shared/media] [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def median_time(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def make_clip(media: Path, path: Path, seconds: float = 10.0) -> float:
    """Write the benchmark's speech clip (the LibriSpeech sentence, then the HDTF radio address,
    cut to `seconds`) as a 16 kHz wav; returns its length in seconds."""
    from emoface.io.audio import load_audio, save_wav
    from emoface.types import Audio

    a = load_audio(media / "audio" / "en_librispeech_1995-1837-0001.wav")
    b = load_audio(media / "audio" / "en_hdtf_radio_address_8s.wav")
    x = np.concatenate([a.samples, b.samples])[: int(seconds * 16000)]
    save_wav(path, Audio(x, 16000))
    return len(x) / 16000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)

    from emoface.animate import frame_count, plan_performance, write_video
    from emoface.drive.align import forced_align
    from emoface.drive.transcribe import transcribe
    from emoface.io.audio import load_audio
    from emoface.pipeline import prepare, render_params

    portrait = args.media / "images" / "white_young_woman_elizabeth_olsen.jpg"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = tmp / "speech10.wav"
        make_clip(args.media, clip)
        speech = load_audio(clip)
        rows = {}
        for size in (256, 512):
            t = {}
            t["load audio"], _ = median_time(lambda: load_audio(clip), args.runs)
            t["analyze portrait"], prepared = median_time(lambda: prepare(portrait, size), args.runs)
            t["transcribe"], heard = median_time(lambda: transcribe(speech), args.runs)
            t["align"], phones = median_time(lambda: forced_align(speech, heard.text), args.runs)
            t["motion"], perf = median_time(lambda: plan_performance(
                prepared, phones, speech, 25.0, None, 0.0, None, 0, 1.0, False), args.runs)
            params = list(perf.rig_params(prepared.source_aus))
            t["render"], frames = median_time(lambda: [render_params(prepared, p) for p in params], args.runs)

            def encode():
                from emoface.io.video import VideoWriter

                h, w = frames[0].shape[:2]
                with VideoWriter(tmp / "enc.mp4", 25.0, (w, h), audio_source=clip) as vw:
                    for f in frames:
                        vw.write(f)

            t["encode (+AAC)"], _ = median_time(encode, args.runs)
            t["render+encode streamed"], _ = median_time(
                lambda: write_video(prepared, perf, tmp / "s.mp4", str(clip)), args.runs)
            cold = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                subprocess.run([str(REPO / ".venv" / "bin" / "emoface"), "animate", str(portrait), str(clip),
                                "-o", str(tmp / "cold.mp4"), "--size", str(size)], check=True,
                               capture_output=True)
                cold.append(time.perf_counter() - t0)
            t["END TO END (cold CLI process)"] = statistics.median(cold)
            rows[size] = t
            assert len(frames) == frame_count(10.0, 25.0)
    print(f"10 s clip, 250 frames at 25 fps; median of {args.runs} runs (s)")
    print(f"{'stage':32s} {'256²':>8s} {'512²':>8s}")
    for stage in rows[256]:
        print(f"{stage:32s} {rows[256][stage]:8.2f} {rows[512][stage]:8.2f}")
    print("target: end to end at 512² <= 5 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
