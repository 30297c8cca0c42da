#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repository root (after
# benchmarks/gpu/prepare_wheels.sh here):
#   run(carry=['.whl'], timeout_s=560,
#       command='bash benchmarks/gpu/run_ssl_sweep.sh')
# Installs the carried wheels into /tmp/site, runs benchmarks/ssl_sweep.sh
# with its defaults (5 SSL variants on the built-in data, 60 epochs, each
# cut at 290 s; JSON to $OUT), then the GPU step cost
# (benchmarks/gpu/run_step_cost.sh) for what time is left.
set -uo pipefail
source benchmarks/gpu/install_wheels.sh
TRAIN_LIMIT=${TRAIN_LIMIT:-290} bash benchmarks/ssl_sweep.sh
timeout "${STEP_COST_LIMIT:-150}" bash benchmarks/gpu/run_step_cost.sh
