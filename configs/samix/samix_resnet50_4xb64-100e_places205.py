# SAMix, ResNet-50 on Places205, 4 GPUs x 64, 100 epochs
# (docs/algorithm.md#schedules): Mixer lr 0.1 -> 1e-4. The reference trained
# the Mixer with plain mixup CE here; samix_mm uses the eta-balanced loss (eta
# = 1.0, docs/algorithm.md#losses). Reference top-1: 64.27
# (docs/algorithm.md#reference-numbers).
_base_ = [
    '../_base_/models/samix_resnet50_in1k.py',
    '../_base_/datasets/places205_bs64.py',
    '../_base_/schedules/sgd_coslr_mixer-group.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head_one=dict(num_classes=205),
    head_mix=dict(num_classes=205),
    head_mix_k=dict(num_classes=205))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='GroupCosineAnnealingLR', eta_min=0.,
         group_eta_min=dict(mixer=1e-4), by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.99999),
    # clean BN statistics of the momentum encoder before every
    # evaluation and checkpoint (docs/algorithm.md, "BN statistics")
    dict(type='PreciseBNHook', num_samples=1024, interval=1,
         priority='ABOVE_NORMAL'),
    dict(type='MaskLossAnnealHook', min_weight=0.),
]
