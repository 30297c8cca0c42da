#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repository root, after
# benchmarks/gpu/prepare_wheels.sh here:
#   run(carry=['.whl'], timeout_s=420,
#       command='bash benchmarks/gpu/run_step_cost.sh')
# Installs the carried wheels into /tmp/site, then measures the three
# settings with AMP and channels_last, each in one process (memory of every
# method measured in that process before the timing). The JSON files
# go to $OUT (or benchmarks/results when $OUT is unset).
set -euo pipefail
source benchmarks/gpu/install_wheels.sh
OUT=${OUT:-benchmarks/results}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python3 -c 'import torch, mmcv, mmengine, mmpretrain; print(torch.__version__, mmcv.__version__, mmengine.__version__, mmpretrain.__version__)'
for setting in r50-224 r18-cifar deit-s-224; do
    python3 benchmarks/step_cost.py --setting "$setting" --device cuda \
        --amp --channels-last --rounds 30 --warmup 5 \
        --out "$OUT/step_cost_${setting}_cuda.json"
done
python3 benchmarks/step_cost.py --setting r50-224 --device cuda --amp \
    --channels-last --breakdown --rounds 30 --warmup 5 \
    --out "$OUT/step_cost_r50-224_cuda_breakdown.json"
