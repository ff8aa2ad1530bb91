"""Regenerate the golden images (run after an intended change to the rig or renderer, and look
at them before committing):

    .venv/bin/python tests/golden/make_golden.py
"""
from pathlib import Path

CASES = {  # file name -> express() keyword arguments, on scikit-image's astronaut at 160 px
    "astronaut_surprised_2.png": dict(emotion="surprised", level=2.0),
    "astronaut_au4_au26_plus3.png": dict(emotion=None, aus={4: 3.0, 26: 3.0}),
}
SIZE = 160


def render(case: str):
    import skimage.data

    import emoface

    return emoface.express(skimage.data.astronaut(), size=SIZE, **CASES[case])


if __name__ == "__main__":
    from emoface.io import save_image

    for name in CASES:
        save_image(Path(__file__).with_name(name), render(name))
        print("wrote", name)
