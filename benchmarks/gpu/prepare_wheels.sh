#!/usr/bin/env bash
# Run HERE (with network), once: put into .whl/ the wheels that the GPU
# machine lacks for benchmarks/gpu/run_step_cost.sh. That machine has
# Python 3.12, torch, numpy, opencv, pillow, pyyaml, rich, matplotlib and
# no network; mmengine, mmpretrain, mmcv (pure Python: MMCV_WITH_OPS=0,
# enough for classification) and their small pure-Python needs travel.
# .whl/ is git-ignored; carry it: run(carry=['.whl'], ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-$(pwd)/.venv/bin/python}
rm -rf .whl && mkdir -p .whl
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl mmengine==0.10.7 mmpretrain==1.2.0 addict==2.4.0 yapf==0.43.0 \
    platformdirs==4.14.8 termcolor==3.3.0 mat4py==0.6.0 modelindex==0.0.2 \
    model-index==0.1.11 ordered-set==4.1.0 einops==0.8.2 \
    importlib_metadata==10.2.0 zipp==4.1.2 lazy-importer==0.1.0
MMCV_WITH_OPS=0 PYTHON="$PY" bash tools/install/build_mmcv.sh .whl
ls .whl
