#!/usr/bin/env bash
# Self-supervised pre-training variants side by side, then a linear probe of
# every saved checkpoint (benchmarks/ssl_linear_probe.py) against a
# random-init encoder. Each variant is a config written to $WORK/cfg that
# inherits a built-in-data SSL demo config (MoCo v2 or SAMix-I, CIFAR-stem
# ResNet-18, batch 64) and changes what its name says:
#   moco, samix          the demo configs as they are
#   moco_adamw           AdamW 1e-3 instead of SGD 0.06
#   moco_strong, samix_strong
#                        SimCLR-strength colour jitter, crops down to 8 %
# DATA_ROOT set: pre-train and probe on a CIFAR-10-like JPG folder
# (train/<class>/*.jpg) instead of the built-in SyntheticShapes.
# Environment (defaults): VARIANTS (moco samix moco_adamw moco_strong
# samix_strong), EPOCHS (60), EVERY (15, checkpoint interval in epochs),
# WIDTH (32, base_channels), TRAIN_LIMIT (seconds per run, 300),
# THREADS (torch threads per run, unset = torch's default), DATA_ROOT,
# WORK (/tmp/ssl_sweep), OUT (work_dirs/ssl_sweep_out), PYTHON (python3;
# the interpreter with mmengine/mmpretrain, e.g. .venv/bin/python).
# SMOKE=1: 128 images, no worker processes, tiny probe (checks the script).
# Examples:
#   EPOCHS=2 EVERY=1 WIDTH=16 THREADS=1 VARIANTS="moco samix" \
#       DATA_ROOT=data/cifar10-jpg TRAIN_LIMIT=3600 bash benchmarks/ssl_sweep.sh
#   on a GPU machine: bash benchmarks/gpu/run_ssl_sweep.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/work_dirs/ssl_sweep_out}
EPOCHS=${EPOCHS:-60}
EVERY=${EVERY:-15}
WIDTH=${WIDTH:-32}
TRAIN_LIMIT=${TRAIN_LIMIT:-300}
WORK=${WORK:-/tmp/ssl_sweep}
VARIANTS=${VARIANTS:-moco samix moco_adamw moco_strong samix_strong}
PY=${PYTHON:-python3}
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$ROOT PYTHONUNBUFFERED=1
[ -n "${THREADS:-}" ] && export OMP_NUM_THREADS=$THREADS
mkdir -p "$OUT" "$WORK/cfg"
C=$ROOT/configs/samix_moco
MOCO=$C/mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py
SAMIX=$C/samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py
common="train_cfg = dict(max_epochs=$EPOCHS)
default_hooks = dict(checkpoint=dict(interval=$EVERY, max_keep_ckpts=-1))"
# the neck and the Mixer follow the width (no change at 32)
moco_w="model = dict(backbone=dict(base_channels=$WIDTH),
    neck=dict(in_channels=$((8 * WIDTH)), hid_channels=$((8 * WIDTH))))"
samix_w="model = dict(backbone=dict(base_channels=$WIDTH),
    neck=dict(in_channels=$((8 * WIDTH)), hid_channels=$((8 * WIDTH))),
    mixer=dict(in_channels=$((4 * WIDTH)),
               value_neck_cfg=dict(hidden_channels=$((2 * WIDTH)))))"
adamw="optim_wrapper = dict(optimizer=dict(
    _delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4))"
# the MoCo v2 views of the demo configs, or SimCLR-strength colour
# (0.8, 0.8, 0.8, 0.2) and crops down to 8 %
mocov2_view='{{_base_.view_pipeline}}'
strong_view="[
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.08, 1.),
         backend='pillow'),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='NumpyToPIL', to_rgb=True),
        dict(type='torchvision/ColorJitter', brightness=0.8, contrast=0.8,
             saturation=0.8, hue=0.2),
        dict(type='PILToNumpy', to_bgr=True)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomFlip', prob=0.5)]"
probe_data=()
if [ -n "${DATA_ROOT:-}" ]; then
    DATA_ROOT=$(cd "$DATA_ROOT" && pwd) || exit 1
    probe_data=(--data-root "$DATA_ROOT")
    common="$common
data_preprocessor = dict(mean=[125.307, 122.961, 113.8575],
                         std=[51.5865, 50.847, 51.255])"
    dataset="_delete_=True, type='ImageFolder', data_root='$DATA_ROOT',
    split='train'"
    load="dict(type='LoadImageChecked'),"
else
    dataset="type='SyntheticShapes'"
    load=""
fi
loader() {  # view pipeline
    echo "train_dataloader = dict(num_workers=2, persistent_workers=True,
    dataset=dict($dataset, pipeline=[$load
        dict(type='MultiView', num_views=2, transforms=[$1]),
        dict(type='PackInputs')]))"
}
write() {  # name base extra...
    local name=$1 base=$2
    shift 2
    { echo "_base_ = '$base'"; echo "$common"; printf '%s\n' "$@"; } \
        >"$WORK/cfg/$name.py"
}
default=$(loader "$mocov2_view")
strong=$(loader "$strong_view")
write moco "$MOCO" "$moco_w" "$default"
write samix "$SAMIX" "$samix_w" "$default"
write moco_adamw "$MOCO" "$moco_w" "$default" "$adamw"
write moco_strong "$MOCO" "$moco_w" "$strong"
write samix_strong "$SAMIX" "$samix_w" "$strong"
extra=()
[ -n "${SMOKE:-}" ] && extra=(--cfg-options
    train_dataloader.dataset.num_samples=128 train_dataloader.num_workers=0
    train_dataloader.persistent_workers=False)
start=$(date +%s)
for v in $VARIANTS; do
    [ -f "$WORK/cfg/$v.py" ] || { echo "unknown variant $v"; exit 2; }
    timeout "$TRAIN_LIMIT" "$PY" tools/train.py "$WORK/cfg/$v.py" \
        --work-dir "$WORK/$v" "${extra[@]}" >"$WORK/$v.out" 2>&1 &
done
wait
echo "training took $(( $(date +%s) - start )) s"
ckpts=()
for v in $VARIANTS; do
    echo "== $v: $(ls "$WORK/$v"/epoch_*.pth 2>/dev/null | wc -l) checkpoints"
    tail -n 3 "$WORK/$v.out"
    ckpts+=($(ls -v "$WORK/$v"/epoch_*.pth 2>/dev/null))
done
[ ${#ckpts[@]} -gt 0 ] || { echo "no run saved a checkpoint"; exit 1; }
device=$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
n=(--train-samples 2500 --test-samples 1000)
[ -n "${DATA_ROOT:-}" ] && n=(--train-samples 5000 --test-samples 2000)
[ -n "${SMOKE:-}" ] && n=(--train-samples 200 --test-samples 100 --steps 50)
probe() {  # out-name encoder checkpoints...
    local name=$1 encoder=$2
    shift 2
    "$PY" benchmarks/ssl_linear_probe.py "$@" "${n[@]}" "${probe_data[@]}" \
        --width "$WIDTH" --encoder "$encoder" --device "$device" \
        --out "$OUT/$name.json" || exit 1
}
probe ssl_probe_online online random "${ckpts[@]}"
samix_ckpts=($(printf '%s\n' "${ckpts[@]}" | grep '/samix' || true))
[ ${#samix_ckpts[@]} -gt 0 ] && probe ssl_probe_momentum momentum "${samix_ckpts[@]}"
(cd "$WORK" && tar -czf "$OUT/ssl_sweep_logs.tar.gz" cfg ./*.out \
    ./*/2*/vis_data/scalars.json 2>/dev/null)
echo "sweep took $(( $(date +%s) - start )) s"
