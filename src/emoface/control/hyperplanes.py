"""EmoHead expression refinement: per-emotion linear hyperplanes in AU space (emohead §III-B).

EmoHead trains one linear SVM per emotion on expression parameters of labelled talking frames
(that emotion vs the others, balanced over mouth openings) and refines a frame's expression
along the hyperplane's normal: alpha_hat = alpha_tilde + tau * w_z (eq. 9).

Here the expression parameters are the 17 AUs per side (34 numbers) and no labelled video corpus
is available, so the training frames are made from what the project knows (deterministic, on
first use, < 1 s with scikit-learn):
  * each emotion's LES prototype at a random level in [LEVEL_LOW, LEVEL_HIGH] (neutral: 0),
  * times a per-AU gain (people show the same emotion with different strengths),
  * plus a person's resting bias: non-negative readings a relaxed face leaves behind (naturally
    low brows read as AU4, a mouth line as AU23...), the source of EmoHead's "expression
    collapse" (an angry eye region on a happy face).
The mouth's articulation (AU25 lips part, AU26 jaw drop) is left out of the features, like
EmoHead's balancing over mouth-opening groups: speech moves it, not emotion, so refinement never
changes how far the mouth opens.

tau is closed form instead of EmoHead's learned FFN: the frame is moved along w_z just far
enough that its decision value reaches the clean prototype's at the requested level (a frame
that already shows the emotion at least that clearly is left alone), and never more than
TAU_MAX_AU AU units in all.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..vocab import AU_IDS, AU_INDEX, EMOTIONS
from .les import emotion_aus

MOUTH_AUS = (25, 26)                 # speech articulation: never a feature, never refined
FEATURE_ROWS = np.array([AU_INDEX[au] for au in AU_IDS if au not in MOUTH_AUS])
SAMPLES_PER_EMOTION = 800
LEVEL_LOW, LEVEL_HIGH = 0.5, 4.0
GAIN_LOW, GAIN_HIGH = 0.6, 1.4       # per-AU strength of one person's display
BIAS_SCALE_AU = 1.0                  # half-normal scale of a resting face's AU readings
BIAS_SHARE = 0.35                    # fraction of AUs that carry a resting bias in one face
SVM_C = 0.1
TAU_MAX_AU = 3.0                     # largest refinement step, Euclidean norm in AU units
SEED = 20240521


@dataclass(frozen=True)
class Hyperplanes:
    """normals: [8, F] unit normals w_z per emotion (`EMOTIONS` order) over the F feature AUs
    (`FEATURE_ROWS`, both sides: F = 2 * 15); offsets: [8] b_z with the decision d = w.x + b in
    AU units (distance to the hyperplane); train_accuracy: [8] one-vs-rest accuracy."""

    normals: np.ndarray
    offsets: np.ndarray
    train_accuracy: np.ndarray

    def decision(self, aus: np.ndarray, emotion: str) -> float:
        """aus: [17, 2] -> signed distance (AU units) of the expression from emotion's hyperplane."""
        z = EMOTIONS.index(emotion)
        return float(features(aus) @ self.normals[z] + self.offsets[z])


def features(aus: np.ndarray) -> np.ndarray:
    """[..., 17, 2] AUs -> [..., F] the refinement features (mouth articulation left out)."""
    aus = np.asarray(aus, np.float32)
    return aus[..., FEATURE_ROWS, :].reshape(*aus.shape[:-2], -1)


def training_frames(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """-> (x [N, F] features, y [N] emotion index): the synthetic labelled frames (module doc)."""
    xs, ys = [], []
    shape = (SAMPLES_PER_EMOTION, len(AU_IDS), 2)
    for z, emotion in enumerate(EMOTIONS):
        levels = (np.zeros(SAMPLES_PER_EMOTION) if emotion == "neutral"
                  else rng.uniform(LEVEL_LOW, LEVEL_HIGH, SAMPLES_PER_EMOTION))
        gain = rng.uniform(GAIN_LOW, GAIN_HIGH, shape[:2])[:, :, None]
        bias = np.abs(rng.normal(0.0, BIAS_SCALE_AU, shape[:2]))
        bias *= rng.random(shape[:2]) < BIAS_SHARE
        aus = np.stack([emotion_aus(emotion, float(lv)) for lv in levels]) * gain + bias[:, :, None]
        xs.append(features(aus))
        ys.append(np.full(SAMPLES_PER_EMOTION, z))
    return np.concatenate(xs), np.concatenate(ys)


@functools.lru_cache(maxsize=1)
def hyperplanes() -> Hyperplanes:
    """Train the 8 one-vs-rest linear SVMs (scikit-learn LinearSVC) once per process."""
    from sklearn.svm import LinearSVC

    x, y = training_frames(np.random.default_rng(SEED))
    normals, offsets, accuracy = [], [], []
    for z in range(len(EMOTIONS)):
        label = (y == z).astype(int)
        svm = LinearSVC(C=SVM_C, class_weight="balanced").fit(x, label)
        w, b = svm.coef_[0], float(svm.intercept_[0])
        norm = float(np.linalg.norm(w))
        normals.append(w / norm)
        offsets.append(b / norm)
        accuracy.append(float((svm.predict(x) == label).mean()))
    return Hyperplanes(np.array(normals, np.float32), np.array(offsets, np.float32),
                       np.array(accuracy, np.float32))


def refine(aus: np.ndarray, emotion: str, level: float) -> np.ndarray:
    """EmoHead eq. 9 with a closed-form tau: [17, 2] AUs -> [17, 2] refined AUs.

    The expression moves along w_z until its decision value reaches that of the clean prototype
    uf(emotion, level) (level 0 or neutral: the neutral face's), at most TAU_MAX_AU units; the
    mouth's articulation (AU25, AU26) is never changed."""
    planes = hyperplanes()
    if level <= 0:
        emotion = "neutral"
    z = EMOTIONS.index(emotion)
    prototype = emotion_aus(emotion, 0.0 if emotion == "neutral" else float(level))
    wanted = planes.decision(prototype, emotion)
    tau = min(max(0.0, wanted - planes.decision(aus, emotion)), TAU_MAX_AU)
    if tau == 0.0:
        return np.asarray(aus, np.float32).copy()
    out = np.asarray(aus, np.float32).copy()
    step = (tau * planes.normals[z]).reshape(len(FEATURE_ROWS), 2)
    out[FEATURE_ROWS] += step
    return out
