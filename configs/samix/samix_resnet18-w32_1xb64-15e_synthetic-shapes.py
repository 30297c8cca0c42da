# SAMix on the built-in SyntheticShapes data (no files needed): the demo of
# `make demo`. CIFAR-stem ResNet-18 at half width (base_channels=32, so that
# the demo fits in about 10 minutes on 2 CPU cores), 10 classes, 32 px,
# 2500 training images, 15 epochs (600 iterations) with AdamW. The momentum
# encoder follows the online one with m = 0.99 -> 0.999: the CIFAR recipe's
# 0.999 -> 0.999999 is meant for 200k iterations and barely moves it in 600.
_base_ = [
    '../_base_/models/samix_resnet18_cifar.py',
    '../_base_/datasets/synthetic_shapes_bs64.py',
    '../_base_/schedules/adamw_coslr_15e_synthetic.py',
    '../_base_/default_runtime.py',
]
model = dict(
    momentum=0.99,
    backbone=dict(base_channels=32),
    mixer=dict(in_channels=128, value_neck_cfg=dict(hidden_channels=64)),
    head_one=dict(num_classes=10, in_channels=256),
    head_mix=dict(num_classes=10, in_channels=256),
    head_mix_k=dict(num_classes=10, in_channels=256))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, ))
test_evaluator = val_evaluator

# 15 epochs x 40 iterations (2500 / 64, last batch kept) = 600: mixed
# samples after iterations 200, 400 and 600 (work_dir/mix_vis)
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999),
    # clean BN statistics of the momentum encoder before every
    # evaluation and checkpoint (docs/algorithm.md, "BN statistics")
    dict(type='PreciseBNHook', num_samples=1024, interval=5,
         priority='ABOVE_NORMAL'),
    dict(type='MixerVisualizationHook', interval=200, num_samples=8),
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=5, max_keep_ckpts=2))
