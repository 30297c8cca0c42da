#!/usr/bin/env bash
# Create (if missing) the virtual environment $1 and install the whole pinned
# stack: torch, mmengine, mmcv with C++ ops (built once per machine, cached
# outside the repo), mmpretrain, mmdet, samix_mm (editable) and test tools.
# Safe to re-run; `make` only calls it when requirements change.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${1:-.venv}
CACHE_DIR=${SAMIX_MM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/samix_mm}
PYTHON_BIN=${PYTHON_BIN:-python3}
C=requirements/constraints.txt

log() { echo "[samix_mm setup] $*"; }

if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV with $($PYTHON_BIN --version)"
    "$PYTHON_BIN" -m venv "$VENV"
fi
PY="$(cd "$VENV" && pwd)/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check -q)

log "build tools"
"${PIP[@]}" -c "$C" pip -r requirements/build.txt
log "torch (from the local disk)"
"${PIP[@]}" -r requirements/torch.txt
log "runtime requirements"
"${PIP[@]}" -c "$C" -r requirements/runtime.txt -r requirements/detection.txt \
    -r requirements/tests.txt
"${PIP[@]}" -c "$C" --no-deps mmengine==0.10.7

TORCH_TAG=$("$PY" -c 'import sys, torch; v = torch.__version__.split("+")[0]; print("torch%s-cp%d%d" % (v, *sys.version_info[:2]))')
WHEEL_DIR="$CACHE_DIR/mmcv-2.1.0-$TORCH_TAG"
if ! ls "$WHEEL_DIR"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    log "no cached mmcv wheel in $WHEEL_DIR: building it"
    MMCV_WITH_OPS=1 PYTHON="$PY" bash tools/install/build_mmcv.sh "$WHEEL_DIR"
fi
if ! "$PY" -c 'import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != "2.1.0")' 2>/dev/null; then
    log "installing mmcv from $WHEEL_DIR"
    "${PIP[@]}" --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-2.1.0-*.whl
fi
log "mmpretrain and mmdet (--no-deps; their runtime needs are above)"
"${PIP[@]}" --no-deps mmpretrain==1.2.0 mmdet==3.3.0
log "samix_mm (editable)"
"${PIP[@]}" --no-deps --no-build-isolation -e .

log "verifying the installation"
"$PY" tools/install/verify_env.py
