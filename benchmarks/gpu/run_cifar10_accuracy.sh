#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repository root, after, here,
# benchmarks/gpu/prepare_wheels.sh and copying the CIFAR-10 JPG archive to
# data/cifar10-jpg.tar.gz (both git-ignored, so carried):
#   run(carry=['.whl', 'data/cifar10-jpg.tar.gz'], timeout_s=600,
#       command='bash benchmarks/gpu/run_cifar10_accuracy.sh')
# Installs the carried wheels into /tmp/site, then trains vanilla, Mixup,
# CutMix and SAMix (full-width CIFAR-stem ResNet-18, batch 100, AMP) on all
# 50 000 CIFAR-10 training images and evaluates them on the 10 000 test
# images after every epoch (benchmarks/gpu_cifar10.py: the configs of
# benchmarks/cifar10_accuracy.py through tools/train.py, images decoded
# once into a cached array, the four runs at once on the one GPU), for as
# many epochs as fit in TIME_BUDGET seconds counted from this script's
# start; results to $OUT (below). Ends in about 9 minutes.
#
# Budget estimate (nothing of this run was measured on a GPU yet; the
# first run's JSON, s_per_iter, and summary.json, seconds, give the real
# figures: set EST_EPOCH_S, or EPOCHS, from them next time):
# * setup, about 60 s: wheel install ~15 s, extracting 60 000 small files
#   ~10 s (gVisor file creation is slow), decoding them once with 8
#   threads ~10 s (12 s on this 2-core CPU), four processes starting
#   (imports, CUDA context, model, data from the cache) ~25 s at once;
#   plus 30 s reserved at the end for the summary, plots and packing.
# * one epoch = 500 steps of batch 100 + a 10 000-image evaluation. On an
#   H200 a step of this size is launch-bound (benchmarks/RESULTS.md, GPU
#   step cost, R-18 CIFAR, batch 64, AMP: vanilla 15.2 ms, Mixup 16.1,
#   CutMix 15.6, SAMix 35.1 ms; the GPU is mostly idle). With the
#   runner's own per-step work (loader hand-off, data preprocessor, hooks,
#   logging; ~5 ms) that is ~10 s per epoch for each baseline and ~20 s for
#   SAMix, ~52 s for all four one after the other.
# * run at once, the four processes (one core each for their Python
#   launch loops, 3 loader processes each, 16 cores) share the GPU by time
#   slicing; the SSL sweep on the H200 (benchmarks/RESULTS.md: five runs
#   at once) reached, by its epochs per run, only ~1.2-1.5x what running
#   them in turn would have (inferred, not measured), so the
#   group is taken at ~52 / 1.45 = 36 s per epoch (SAMix is the long pole:
#   it keeps running alone, faster, after the baselines end).
# * (540 - 60 - 30) s / 36 s per epoch = about 12 epochs (computed at run
#   time from what is actually left once the data are ready).
# Why at once rather than in turn: in turn, each method's process leaves
# the GPU idle most of the time and the four start-ups add up; at once,
# the same wall time buys more epochs for every method. Runs still going
# at the deadline are stopped: their JSON holds the epochs they finished,
# "complete": false (printed as CUT), so a wrong estimate costs epochs,
# never the whole result.
#
# Environment (defaults): TIME_BUDGET (540 s, the whole script),
# EPOCHS (auto), EST_EPOCH_S (36), METHODS (vanilla mixup cutmix samix),
# SEEDS (0), WIDTH (64), EMA ("BASE END" momentum of SAMix's momentum
# encoder; empty = the config's 0.999 -> 0.999999), CIFAR10_ARCHIVE
# (data/cifar10-jpg.tar.gz), WORK (/tmp/gpu_cifar10), PYTHON (python3),
# SUP_ARGS / SSL_ARGS (more driver arguments).
# STAGES (sup): "sup ssl" adds the optional second stage,
# benchmarks/gpu_cifar10_ssl.py (MoCo v2 against SAMix-I, unlabelled
# pre-training on the same in-memory images, a kNN monitor on checkpoints),
# in the last SSL_SECONDS (210) of the budget; STAGES=ssl runs it alone in
# the whole budget (estimated ~15 s per epoch of the pair at batch 256:
# about 25 epochs alone, 7 in 210 s). SSL_EPOCHS (auto).
# Outputs in $OUT (at most 8 files come back): summary.json, top1.png,
# loss.png and <method>_seed<seed>.json of the supervised stage;
# ssl_summary.json, knn.png, ssl_loss.png, <variant>_seed<seed>.json of
# the SSL stage; as many as fit, most useful first, and all of them with
# the logs, configs and scalars in logs.tar.gz.
set -uo pipefail
START=$(date +%s)
cd "$(dirname "$0")/../.."
source benchmarks/gpu/install_wheels.sh
OUT=${OUT:-work_dirs/gpu_cifar10_out}
WORK=${WORK:-/tmp/gpu_cifar10}
PY=${PYTHON:-python3}
TIME_BUDGET=${TIME_BUDGET:-540}
STAGES=${STAGES:-sup}
SSL_SECONDS=${SSL_SECONDS:-210}
ARCHIVE=${CIFAR10_ARCHIVE:-data/cifar10-jpg.tar.gz}
rm -rf "$WORK/out"  # results of an earlier run on this machine
mkdir -p "$OUT" "$WORK/out/sup" "$WORK/out/ssl"
stages() {
    echo "start $(date -u '+%F %T') UTC, stages: $STAGES," \
        "budget $TIME_BUDGET s"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv \
        2>/dev/null || echo "no nvidia-smi"
    "$PY" -c 'import torch, mmcv, mmengine, mmpretrain as p
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      "mmcv", mmcv.__version__, "mmengine", mmengine.__version__,
      "mmpretrain", p.__version__)'
    if [ ! -f "$ARCHIVE" ]; then
        echo "missing $ARCHIVE: copy cifar10-jpg.tar.gz there and carry it"
        return 2
    fi
    common=(--archive "$ARCHIVE" --extract-dir "$WORK/jpg"
            --cache-dir "$WORK/cache" --started-at "$START")
    status=0
    case " $STAGES " in *" sup "*)
        sup_budget=$TIME_BUDGET
        case " $STAGES " in
            *" ssl "*) sup_budget=$((TIME_BUDGET - SSL_SECONDS)) ;;
        esac
        ema=()
        [ -n "${EMA:-}" ] && ema=(--ema-momentum $EMA)
        # shellcheck disable=SC2086
        "$PY" benchmarks/gpu_cifar10.py "${common[@]}" \
            --time-budget "$sup_budget" --epochs "${EPOCHS:-auto}" \
            --est-epoch-s "${EST_EPOCH_S:-36}" --width "${WIDTH:-64}" \
            --methods ${METHODS:-vanilla mixup cutmix samix} \
            --seeds ${SEEDS:-0} "${ema[@]}" --work-dir "$WORK/sup" \
            --out-dir "$WORK/out/sup" ${SUP_ARGS:-} || status=1
        ;;
    esac
    case " $STAGES " in *" ssl "*)
        # shellcheck disable=SC2086
        "$PY" benchmarks/gpu_cifar10_ssl.py "${common[@]}" \
            --time-budget "$TIME_BUDGET" --epochs "${SSL_EPOCHS:-auto}" \
            --width "${WIDTH:-64}" --work-dir "$WORK/ssl" \
            --out-dir "$WORK/out/ssl" ${SSL_ARGS:-} || status=1
        ;;
    esac
    echo "stages took $(( $(date +%s) - START )) s, exit $status"
    return $status
}
stages 2>&1 | tee "$WORK/run.log"
status=${PIPESTATUS[0]}
# everything in one archive; then the most useful files one by one
(cd "$WORK" && tar -czf "$OUT/logs.tar.gz" run.log out \
    $(ls -d sup/*/*.py sup/*/train.out sup/*/2*/vis_data/scalars.json \
        ssl/*/*.py ssl/*/train.out ssl/*/2*/vis_data/scalars.json \
        2>/dev/null))
room=7
for f in out/sup/summary.json out/sup/top1.png out/ssl/ssl_summary.json \
        out/ssl/knn.png out/sup/loss.png out/ssl/ssl_loss.png \
        $(cd "$WORK" && ls out/sup/*_seed*.json 2>/dev/null) \
        $(cd "$WORK" && ls out/ssl/*_seed*.json 2>/dev/null); do
    [ -f "$WORK/$f" ] || continue
    if [ "$room" -gt 0 ]; then
        cp "$WORK/$f" "$OUT/" && room=$((room - 1))
    else
        echo "only in logs.tar.gz: $f"
    fi
done
ls -l "$OUT"
echo "done in $(( $(date +%s) - START )) s"
exit $status
