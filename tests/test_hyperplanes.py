"""EmoHead hyperplane refinement (control.hyperplanes): what it promises a user."""
import numpy as np

from emoface.control.hyperplanes import TAU_MAX_AU, hyperplanes, refine
from emoface.control.les import emotion_aus, target_aus
from emoface.vocab import AU_INDEX, EMOTIONS


def test_each_emotion_is_separated_from_the_others():
    planes = hyperplanes()
    assert planes.normals.shape[0] == len(EMOTIONS)
    assert np.all(planes.train_accuracy > 0.9)
    for emotion in EMOTIONS[1:]:
        own = planes.decision(emotion_aus(emotion, 3.0), emotion)
        others = [planes.decision(emotion_aus(other, 3.0), emotion) for other in EMOTIONS[1:] if other != emotion]
        assert own > max(others)


def test_a_collapsed_expression_is_pulled_back_towards_its_emotion():
    # a happy face on a person whose resting brows read as lowered (AU4): "expression collapse"
    collapsed = emotion_aus("happy", 3.0).copy()
    collapsed[AU_INDEX[4]] += 3.0
    refined = refine(collapsed, "happy", 3.0)
    planes = hyperplanes()
    assert planes.decision(refined, "happy") > planes.decision(collapsed, "happy") + 0.3
    assert refined[AU_INDEX[4]].mean() < collapsed[AU_INDEX[4]].mean()
    assert np.linalg.norm(refined - collapsed) <= TAU_MAX_AU + 1e-4


def test_refinement_leaves_clean_prototypes_and_the_mouth_alone():
    clean = emotion_aus("sad", 2.0)
    assert np.allclose(refine(clean, "sad", 2.0), clean, atol=1e-4)
    talking = emotion_aus("angry", 3.0).copy()
    talking[AU_INDEX[4]] = 0.0
    talking[[AU_INDEX[25], AU_INDEX[26]]] = 4.0
    refined = refine(talking, "angry", 3.0)
    assert not np.allclose(refined, talking)
    assert np.array_equal(refined[[AU_INDEX[25], AU_INDEX[26]]], talking[[AU_INDEX[25], AU_INDEX[26]]])


def test_target_aus_refines_only_when_asked():
    source = np.zeros((17, 2), np.float32)
    source[AU_INDEX[9]] = 3.0          # uncalibrated, so relaxation keeps it: a biased face
    plain = target_aus(source, "surprised", 3.0, refine=False)
    refined = target_aus(source, "surprised", 3.0, refine=True)
    assert not np.allclose(plain, refined)
    assert np.allclose(target_aus(source, "happy@2+sad@1", 2.0, refine=True),
                       target_aus(source, "happy@2+sad@1", 2.0, refine=False))
