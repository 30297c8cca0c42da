# SAMix, CIFAR-stem ResNeXt-50 (32x4d) on CIFAR-100, 400 epochs
# (docs/algorithm.md#schedules). The Mixer reads stage 3 (1024 channels).
# Reference median top-1: 84.27.
_base_ = [
    '../_base_/models/samix_resnet18_cifar.py',
    '../_base_/datasets/cifar100_bs100.py',
    '../_base_/schedules/sgd_coslr_cifar.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        _delete_=True, type='ResNeXt_CIFAR', depth=50, groups=32,
        width_per_group=4, out_indices=(2, 3), style='pytorch'),
    mixer=dict(in_channels=1024, value_neck_cfg=dict(hidden_channels=512)),
    head_one=dict(in_channels=2048),
    head_mix=dict(in_channels=2048),
    head_mix_k=dict(in_channels=2048))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999999),
    # clean BN statistics of the momentum encoder before every
    # evaluation and checkpoint (docs/algorithm.md, "BN statistics")
    dict(type='PreciseBNHook', num_samples=1024, interval=1,
         priority='ABOVE_NORMAL'),
]
