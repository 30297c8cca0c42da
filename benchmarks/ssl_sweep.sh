#!/usr/bin/env bash
# Self-supervised pre-training variants side by side, then a linear probe of
# every saved checkpoint (benchmarks/ssl_linear_probe.py, with the stored BN
# statistics and with statistics re-estimated on clean training images)
# against a random-init encoder, and a report (benchmarks/ssl_report.py).
# Each variant is a config written to $WORK/cfg that inherits a
# built-in-data SSL demo config (MoCo v2, SAMix-I or SAMix-C, CIFAR-stem
# ResNet-18, batch 64) and changes what its name says:
#   moco, samix, samix_c the demo configs as they are
#   samix_ctrl           SAMix-I with its backbone loss off (mix_bb_weight
#                        0, configs/samix_moco/ablations): the control that
#                        must land where moco does
#   samix_ramp           SAMix-I with mix_bb_weight ramped from 0 to 1 by
#                        cosine (MixLossRampHook, configs/samix_moco/
#                        ablations)
#   moco_adamw           AdamW 1e-3 instead of SGD 0.06
#   moco_strong, samix_strong
#                        SimCLR-strength colour jitter, crops down to 8 %
# Seeds: an item of VARIANTS is NAME or NAME:SEED,SEED,... (NAME alone takes
# the seeds of SEEDS); each (NAME, SEED) trains with randomness seed SEED
# into $WORK/NAME_sSEED (config $WORK/cfg/NAME_sSEED.py).
# DATA_ROOT set: pre-train and probe on a CIFAR-10-like JPG folder
# (train/<class>/*.jpg) instead of the built-in SyntheticShapes.
# Environment (defaults): VARIANTS (moco samix moco_adamw moco_strong
# samix_strong), SEEDS (0), JOBS (trainings at once, 0 = all), EPOCHS (60),
# EVERY (15, checkpoint interval in epochs), WIDTH (32, base_channels),
# TRAIN_LIMIT (seconds per run, 300), THREADS (torch threads per run,
# unset = torch's default), DATA_ROOT, WORK (/tmp/ssl_sweep), OUT
# (work_dirs/ssl_sweep_out), PYTHON (python3; the interpreter with
# mmengine/mmpretrain, e.g. .venv/bin/python).
# Training time: every run logs at each epoch's end `time_global`, the mean
# iteration time since the start (<run>/<timestamp>/vis_data/scalars.json);
# time_global x iter is the training time up to that checkpoint (data
# loading and SAMix-C's clustering included, start-up and checkpoint saving
# not). Runs queued by JOBS share the CPUs with the runs beside them.
# SMOKE=1: 128 images of the built-in data (a DATA_ROOT folder is used
# whole), no worker processes, tiny probe (checks the script).
# Examples:
#   EPOCHS=2 EVERY=1 WIDTH=16 THREADS=1 JOBS=2 \
#       VARIANTS="moco:0,1 samix:0,1 samix_c samix_ctrl" \
#       DATA_ROOT=data/cifar10-jpg TRAIN_LIMIT=14400 \
#       bash benchmarks/ssl_sweep.sh
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
SEEDS=${SEEDS:-0}
JOBS=${JOBS:-0}
PY=${PYTHON:-python3}
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$ROOT PYTHONUNBUFFERED=1
[ -n "${THREADS:-}" ] && export OMP_NUM_THREADS=$THREADS
mkdir -p "$OUT" "$WORK/cfg"
OUT=$(cd "$OUT" && pwd)
WORK=$(cd "$WORK" && pwd)
C=$ROOT/configs/samix_moco
MOCO=$ROOT/configs/mocov2/mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py
SAMIX=$C/samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py
SAMIX_C=$C/samix-c-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py
SAMIX_CTRL=$C/ablations/samix-mocov2_resnet18-w32_1xb64-no-mix-bb-20e_synthetic-shapes.py
SAMIX_RAMP=$C/ablations/samix-mocov2_resnet18-w32_1xb64-mix-bb-ramp-20e_synthetic-shapes.py
# checkpoints every EVERY epochs, a log row at every epoch's end with the
# mean iteration time since the start
common="train_cfg = dict(max_epochs=$EPOCHS)
default_hooks = dict(checkpoint=dict(interval=$EVERY, max_keep_ckpts=-1),
                     logger=dict(ignore_last=False))
log_processor = dict(custom_cfg=[dict(data_src='time', method_name='mean',
                                      window_size='global',
                                      log_name='time_global')])"
# the neck, the Mixer and SAMix-C's cluster head follow the width (no
# change at 32)
neck="backbone=dict(base_channels=$WIDTH),
    neck=dict(in_channels=$((8 * WIDTH)), hid_channels=$((8 * WIDTH)))"
mixer="mixer=dict(in_channels=$((4 * WIDTH)),
               value_neck_cfg=dict(hidden_channels=$((2 * WIDTH))))"
moco_w="model = dict($neck)"
samix_w="model = dict($neck,
    $mixer)"
samix_c_w="model = dict($neck,
    $mixer,
    mixer_loss=dict(in_channels=$((8 * WIDTH))))"
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
workers="num_workers=2, persistent_workers=True"
[ -n "${SMOKE:-}" ] && workers="num_workers=0, persistent_workers=False"
probe_data=()
if [ -n "${DATA_ROOT:-}" ]; then
    DATA_ROOT=$(cd "$DATA_ROOT" && pwd) || exit 1
    probe_data=(--data-root "$DATA_ROOT")
    common="$common
data_preprocessor = dict(mean=[125.307, 122.961, 113.8575],
                         std=[51.5865, 50.847, 51.255])"
    dataset="type='ImageFolder', data_root='$DATA_ROOT', split='train'"
    load="dict(type='LoadImageChecked'),"
else  # the demo configs' training set
    num=2500
    [ -n "${SMOKE:-}" ] && num=128
    dataset="type='SyntheticShapes', num_samples=$num, num_classes=10,
    img_size=32, seed=0"
    load=""
fi
loader() {  # view pipeline
    echo "train_dataloader = dict($workers,
    dataset=dict(_delete_=True, $dataset, pipeline=[$load
        dict(type='MultiView', num_views=2, transforms=[$1]),
        dict(type='PackInputs')]))"
}
# SAMix-C's pseudo-labels: the demo's hook on this training set, clean
# images, PCA to the full feature width (the demo's 256 at width 32)
cluster_hook="custom_hooks = [
    dict(type='SAMixMomentumHook'),
    dict(type='ClusterPseudoLabelHook', interval=2, pca_dim=$((8 * WIDTH)),
         reweight=True, reweight_pow=0.5,
         dataloader=dict(
             batch_size=128, ${workers%%,*},
             sampler=dict(type='DefaultSampler', shuffle=False),
             collate_fn=dict(type='default_collate'),
             dataset=dict($dataset,
                          pipeline=[$load dict(type='PackInputs')])))]"
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
write samix_c "$SAMIX_C" "$samix_c_w" "$default" "$cluster_hook"
write samix_ctrl "$SAMIX_CTRL" "$samix_w" "$default"
write samix_ramp "$SAMIX_RAMP" "$samix_w" "$default"
write moco_adamw "$MOCO" "$moco_w" "$default" "$adamw"
write moco_strong "$MOCO" "$moco_w" "$strong"
write samix_strong "$SAMIX" "$samix_w" "$strong"
runs=()  # NAME_sSEED, each with its config
for item in $VARIANTS; do
    v=${item%%:*}
    seeds=$SEEDS
    [ "$item" != "$v" ] && seeds=${item#*:}
    [ -f "$WORK/cfg/$v.py" ] || { echo "unknown variant $v"; exit 2; }
    for s in ${seeds//,/ }; do
        printf "_base_ = './%s.py'\nrandomness = dict(seed=%d)\n" "$v" "$s" \
            >"$WORK/cfg/${v}_s$s.py" || exit 2
        runs+=("${v}_s$s")
    done
done
start=$(date +%s)
for r in "${runs[@]}"; do
    while [ "$JOBS" -gt 0 ] && [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n
    done
    echo "training $r"
    (timeout "$TRAIN_LIMIT" "$PY" tools/train.py "$WORK/cfg/$r.py" \
        --work-dir "$WORK/$r" >"$WORK/$r.out" 2>&1; echo $? >"$WORK/$r.rc") &
done
wait
echo "training took $(( $(date +%s) - start )) s"
ckpts=()
momentum_ckpts=()  # the SAMix variants' momentum encoders too
for r in "${runs[@]}"; do
    echo "== $r: $(ls "$WORK/$r"/epoch_*.pth 2>/dev/null | wc -l)" \
        "checkpoints, exit status $(cat "$WORK/$r.rc")" \
        "(124: cut at TRAIN_LIMIT)"
    tail -n 3 "$WORK/$r.out"
    run_ckpts=($(ls -v "$WORK/$r"/epoch_*.pth 2>/dev/null))
    ckpts+=("${run_ckpts[@]}")
    [[ $r == samix* ]] && momentum_ckpts+=("${run_ckpts[@]}")
done
[ ${#ckpts[@]} -gt 0 ] || { echo "no run saved a checkpoint"; exit 1; }
device=$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
n=(--train-samples 2500 --test-samples 1000)
[ -n "${DATA_ROOT:-}" ] && n=(--train-samples 5000 --test-samples 2000)
[ -n "${SMOKE:-}" ] && n=(--train-samples 200 --test-samples 100 --steps 50)
probes=()
probe() {  # out-name encoder checkpoints...
    local name=$1 encoder=$2
    shift 2
    "$PY" benchmarks/ssl_linear_probe.py "$@" "${n[@]}" "${probe_data[@]}" \
        --width "$WIDTH" --encoder "$encoder" --device "$device" \
        --bn-stats stored clean --out "$OUT/$name.json" || exit 1
    probes+=("$OUT/$name.json")
}
probe ssl_probe_online online random "${ckpts[@]}"
[ ${#momentum_ckpts[@]} -gt 0 ] && probe ssl_probe_momentum momentum \
    "${momentum_ckpts[@]}"
"$PY" benchmarks/ssl_report.py "${probes[@]}" --out-dir "$OUT"
report=$?
(cd "$WORK" && tar -czf "$OUT/ssl_sweep_logs.tar.gz" cfg ./*.out \
    ./*/2*/vis_data/scalars.json 2>/dev/null)
echo "sweep took $(( $(date +%s) - start )) s"
exit $report
