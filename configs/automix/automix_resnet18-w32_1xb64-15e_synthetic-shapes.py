# AutoMix on the built-in SyntheticShapes data, same budget as the SAMix
# demo (configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py),
# its momentum encoder schedule (0.99 -> 0.999) included.
_base_ = [
    '../_base_/models/automix_resnet18_cifar.py',
    '../_base_/datasets/synthetic_shapes_bs64.py',
    '../_base_/schedules/adamw_coslr_15e_synthetic.py',
    '../_base_/default_runtime.py',
]
model = dict(
    momentum=0.99,
    backbone=dict(base_channels=32),
    mixer=dict(in_channels=128),
    head_one=dict(num_classes=10, in_channels=256),
    head_mix=dict(num_classes=10, in_channels=256))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, ))
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999),
    # clean BN statistics of the momentum encoder before every
    # evaluation and checkpoint (docs/algorithm.md, "BN statistics")
    dict(type='PreciseBNHook', num_samples=1024, interval=5,
         priority='ABOVE_NORMAL'),
]
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2))
