"""`evaluate_video`: every metric of one output video (what `emoface eval video` prints).

    output ──judge pass──► faces, landmarks, CPBD, (emotion), (identity) per frame
    reference ──judge pass──► the same ──► mouth_r / lag, M-LMD, F-LMD, LVD, PSNR, SSIM
    output + reference ──Inception (optional `torch` extra)──► FID
    portrait ──dlib embedding──► identity distance

Metric names, units and meaning are listed in `METRIC_DOC`; missing inputs give None; a metric
that could not be measured (FID without its extra, too few frames) is None with a line in `notes`.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..judge.emotion import EMOTION_CLASSES
from . import metrics as M
from .judging import VideoJudgement, judge_video, portrait_embedding

PSNR_CAP_DB = 100.0  # a frame identical to its reference counts as 100 dB in a mean of finite frames

METRIC_DOC: dict[str, str] = {
    "frames": "frames in the output video",
    "face_fraction": "fraction of output frames where dlib finds a face (0-1)",
    "cpbd": "mean CPBD sharpness of the output frames (0-1, higher = sharper; Narvekar & Karam 2011)",
    "mouth_r": "Pearson r of per-frame mouth opening (dlib), output vs reference, at the best lag",
    "mouth_lag_frames": "that lag in frames; positive when the output is late",
    "m_lmd_px": "M-LMD: mean mouth-landmark distance after similarity alignment (reference px)",
    "f_lmd_px": "F-LMD: the same over all 68 face landmarks (reference px)",
    "m_lvd_px": "M-LVD: mean difference of mouth-landmark velocities (reference px per frame)",
    "f_lvd_px": "F-LVD: the same over all 68 landmarks (reference px per frame)",
    "psnr_db": "mean PSNR of time-aligned frames, output resized to the reference (dB; inf if identical)",
    "ssim": "mean SSIM of time-aligned frames (scikit-image, RGB)",
    "frames_compared": "frame pairs (output, reference) the paired metrics used",
    "identity_distance": "mean dlib identity distance of sampled output faces to the portrait "
                         "(or to the reference's mean embedding); < 0.6 = same person",
    "identity_distance_max": "largest such distance over the sampled frames",
    "judge_accuracy": "fraction of judged output frames whose fer top class is --emotion",
    "judge_target_probability": "mean fer probability of --emotion over judged frames",
    "judge_top_class": "the fer class with the highest mean probability over judged frames",
    "fid": "FID of the output's frames against the reference's (Inception pool3 features; 0 = same "
           "statistics; biased upward below 2048 frames, compare at equal frame counts)",
    "fid_frames": "output frames FID used",
}


@dataclass(frozen=True)
class VideoEvaluation:
    """Result of `evaluate_video`.

    metrics:         name -> number (or None when its input was not given / not measurable),
                     names as in `METRIC_DOC`.
    mouth_output:    [T_out] mouth opening per output frame (NaN where no face).
    mouth_reference: [T_ref] the same for the reference, or None.
    emotion_mean:    {class: mean fer probability} over judged frames, or None.
    """

    metrics: dict
    mouth_output: np.ndarray
    mouth_reference: np.ndarray | None = None
    emotion_mean: dict | None = None
    inputs: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """JSON-ready dict (NaN/inf -> None; inf PSNR is also flagged in `notes`)."""
        notes = list(self.notes)
        if self.metrics.get("psnr_db") == float("inf"):
            notes.append("psnr_db is infinite: every compared frame equals its reference")
        return {"inputs": self.inputs, "metrics": {k: json_number(v) for k, v in self.metrics.items()},
                "emotion_mean": self.emotion_mean,
                "mouth_output": [json_number(v) for v in self.mouth_output],
                "mouth_reference": None if self.mouth_reference is None
                else [json_number(v) for v in self.mouth_reference],
                "notes": notes, "metric_doc": METRIC_DOC}


def json_number(value):
    """float/int for JSON: NaN and +-inf -> None, numpy scalars -> Python numbers."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def check_emotion(emotion: str | None) -> str | None:
    """Validate a judge target: one of the fer judge's 7 classes (`InputError` otherwise)."""
    if emotion is None:
        return None
    name = emotion.strip().lower()
    if name == "contempt":
        raise InputError("the emotion judge (fer) has no 'contempt' class; it can judge "
                         + ", ".join(EMOTION_CLASSES))
    if name not in EMOTION_CLASSES:
        raise InputError(f"unknown emotion '{emotion}' (the judge knows {', '.join(EMOTION_CLASSES)})")
    return name


def emotion_scores(judgement: VideoJudgement, emotion: str) -> tuple[float, float, str | None, dict | None]:
    """(accuracy, mean target probability, top class of the mean, {class: mean prob}) over the
    frames fer judged; NaNs and None when none was judged."""
    probs = judgement.emotion[np.isfinite(judgement.emotion).all(axis=1)]
    if not len(probs):
        return float("nan"), float("nan"), None, None
    k = EMOTION_CLASSES.index(emotion)
    mean = probs.mean(0)
    accuracy = float(np.mean(probs.argmax(1) == k))
    return accuracy, float(mean[k]), EMOTION_CLASSES[int(mean.argmax())], \
        {c: float(p) for c, p in zip(EMOTION_CLASSES, mean)}


def identity_scores(judgement: VideoJudgement, anchor: np.ndarray) -> tuple[float, float]:
    """(mean, max) dlib distance of the embedded output frames to `anchor` [128]; NaN if none."""
    emb = judgement.identity[np.isfinite(judgement.identity).all(axis=1)]
    if not len(emb):
        return float("nan"), float("nan")
    d = np.linalg.norm(emb - anchor, axis=1)
    return float(d.mean()), float(d.max())


def paired_quality(output: os.PathLike, reference: os.PathLike, lag: int,
                   stride: int = 1) -> tuple[float, float, int]:
    """(mean PSNR dB, mean SSIM, pairs) over reference frame t vs output frame t + lag.

    Frames are decoded in step (bounded memory); every `stride`-th pair is compared; the output
    frame is resized to the reference's size when they differ. A pair that is identical scores
    inf dB; the mean is inf only if every pair is identical, otherwise identical pairs count as
    `PSNR_CAP_DB`.
    """
    from itertools import islice

    from ..io.video import read_video

    ref_frames = read_video(reference)
    out_frames = read_video(output)
    if lag > 0:
        out_frames = islice(out_frames, lag, None)
    elif lag < 0:
        ref_frames = islice(ref_frames, -lag, None)
    psnrs, ssims = [], []
    for i, (ref, out) in enumerate(zip(ref_frames, out_frames)):
        if i % max(1, stride):
            continue
        out = M.resize_to(out, (ref.shape[1], ref.shape[0]))
        psnrs.append(M.psnr_db(out, ref))
        ssims.append(M.ssim(out, ref))
    if not psnrs:
        return float("nan"), float("nan"), 0
    psnr = np.asarray(psnrs)
    mean_psnr = float("inf") if np.isinf(psnr).all() else float(np.minimum(psnr, PSNR_CAP_DB).mean())
    return mean_psnr, float(np.mean(ssims)), len(psnrs)


def reference_metrics(out: VideoJudgement, ref: VideoJudgement, max_lag: int) -> dict:
    """Lip sync and landmark metrics of an output against a reference judged the same way."""
    mouth_out, mouth_ref = M.mouth_curve(out.landmarks), M.mouth_curve(ref.landmarks)
    r, lag = M.best_lag(mouth_ref, mouth_out, max_lag)
    ref_lm, out_lm = M.shifted_pair(ref.landmarks, out.landmarks, lag)
    aligned = M.align_landmarks(out_lm, ref_lm)
    return {
        "mouth_r": r, "mouth_lag_frames": lag if math.isfinite(r) else None,
        "m_lmd_px": M.landmark_distance(aligned, ref_lm, M.MOUTH_POINTS),
        "f_lmd_px": M.landmark_distance(aligned, ref_lm, M.FACE_POINTS),
        "m_lvd_px": M.landmark_velocity_difference(aligned, ref_lm, M.MOUTH_POINTS),
        "f_lvd_px": M.landmark_velocity_difference(aligned, ref_lm, M.FACE_POINTS),
    }


def check_inputs(output, reference=None, portrait=None, emotion=None):
    """Validate every input before the slow passes -> (output info, reference info, portrait RGB, emotion)."""
    from ..io.images import load_image
    from ..io.video import video_info

    emotion = check_emotion(emotion)
    out_info = video_info(output)
    ref_info = video_info(reference) if reference is not None else None
    for path, info in ((output, out_info), (reference, ref_info)):
        if info is not None and info.is_still:
            raise InputError(f"{path} holds a single picture, not a video: `eval video` measures a talking video "
                             f"(mp4, mov, mkv)")
    if ref_info is not None and abs(ref_info.fps - out_info.fps) > 0.01 * ref_info.fps:
        raise InputError(f"{output} runs at {out_info.fps:g} fps but the reference {reference} at "
                         f"{ref_info.fps:g} fps; compare videos with the same frame rate")
    rgb = load_image(portrait) if portrait is not None else None
    return out_info, ref_info, rgb, emotion


def evaluate_video(output: str | os.PathLike, reference: str | os.PathLike | None = None,
                   portrait=None, emotion: str | None = None, *, max_lag: int = M.DEFAULT_MAX_LAG,
                   identity_samples: int = 16, quality_stride: int = 1, cpbd_stride: int = 1,
                   judge_max_side: int | None = None, fid_stride: int = 0,
                   progress: bool = False) -> VideoEvaluation:
    """All metrics of `output` (a video file).

    reference: a real talking video of the same speech (same fps) -> mouth_r, mouth_lag_frames,
               M/F-LMD, M/F-LVD, PSNR, SSIM; identity is then measured against its first face.
    portrait:  an image path or RGB uint8 [H, W, 3] -> identity_distance to its face.
    emotion:   a fer class -> judge_accuracy, judge_target_probability.
    max_lag:   lags searched for mouth_r, in frames each way.
    identity_samples: dlib identity embeddings (~0.1 s each) on about this many evenly spaced
               output frames.
    *_stride:  measure PSNR+SSIM / CPBD on every n-th frame only (speed).
    judge_max_side: run the face judges on copies shrunk to this long side (speed; landmark
               metrics stay in full-size px).
    fid_stride: with a reference, FID over every n-th frame of both videos (0 = no FID; ~0.1-0.3 s
               per frame on 2 cores). Without the `torch` extra, or with fewer than
               `fid.MIN_FRAMES` frames, fid is None and `notes` says why.
    Raises `InputError` for unreadable inputs, mismatched frame rates or an unknown emotion,
    `NoFaceError` when the portrait has no face.
    """
    out_info, ref_info, portrait_rgb, emotion = check_inputs(output, reference, portrait, emotion)
    anchor = portrait_embedding(portrait_rgb) if portrait_rgb is not None else None
    want_identity = (max(1, math.ceil(out_info.frame_count / max(1, identity_samples)))
                     if (portrait_rgb is not None or reference is not None) else 0)
    out = judge_video(output, emotion=emotion is not None, cpbd_stride=cpbd_stride,
                      identity_stride=want_identity, max_side=judge_max_side, progress="judging output" if progress else False)
    metrics: dict = {name: None for name in METRIC_DOC}
    metrics["frames"] = len(out)
    metrics["face_fraction"] = float(out.face_found.mean()) if len(out) else 0.0
    metrics["cpbd"] = M.finite_mean(out.cpbd)
    mouth_ref, notes = None, []
    if reference is not None:
        ref_identity = max(1, ref_info.frame_count // 4) if anchor is None else 0
        ref = judge_video(reference, identity_stride=ref_identity, cpbd_stride=0, max_side=judge_max_side,
                          progress="judging reference" if progress else False)
        mouth_ref = M.mouth_curve(ref.landmarks)
        metrics.update(reference_metrics(out, ref, max_lag))
        lag = metrics["mouth_lag_frames"] or 0
        metrics["psnr_db"], metrics["ssim"], metrics["frames_compared"] = paired_quality(
            output, reference, lag, quality_stride)
        if fid_stride > 0:
            metrics["fid"], metrics["fid_frames"], note = reference_fid(output, reference, fid_stride, progress)
            notes += [note] if note else []
        if anchor is None:
            found = np.isfinite(ref.identity).all(axis=1)
            anchor = ref.identity[found].mean(0) if found.any() else None
    if anchor is not None:
        metrics["identity_distance"], metrics["identity_distance_max"] = identity_scores(out, anchor)
    emotion_mean = None
    if emotion is not None:
        (metrics["judge_accuracy"], metrics["judge_target_probability"],
         metrics["judge_top_class"], emotion_mean) = emotion_scores(out, emotion)
    inputs = {"output": str(output), "reference": None if reference is None else str(reference),
              "portrait": None if portrait is None or not isinstance(portrait, (str, os.PathLike))
              else str(portrait), "emotion": emotion, "fps": out_info.fps, "max_lag_frames": max_lag}
    return VideoEvaluation(metrics, M.mouth_curve(out.landmarks), mouth_ref, emotion_mean, inputs,
                           tuple(notes))


def reference_fid(output: os.PathLike, reference: os.PathLike, stride: int = 1,
                  progress: bool = False) -> tuple[float | None, int | None, str | None]:
    """(FID of the output's frames vs the reference's, output frames used, None) or, when FID
    cannot be measured here (the `torch` extra is missing, too few frames), (None, None, why)."""
    from .fid import fid_unavailable_reason, fid_videos

    reason = fid_unavailable_reason()
    if reason is not None:
        return None, None, f"fid skipped: {reason}"
    try:
        value, _, n_fake = fid_videos([reference], [output], stride=stride, progress=progress)
    except InputError as exc:
        return None, None, f"fid skipped: {exc}"
    return value, n_fake, None
