# Linear evaluation on the built-in SyntheticShapes data of a backbone
# pre-trained by ../samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py (or
# its MoCo v2 baseline in configs/mocov2/): frozen CIFAR-stem ResNet-18
# (w32, all four stages frozen, BN in eval), GAP + Linear(256 -> 10). The
# MoCo recipe (docs/algorithm.md#evaluation-and-transfer: SGD momentum 0.9,
# no weight decay, steps at 60 % / 80 %) on a demo budget of 30 epochs.
# lr 0.1 is our choice: the GAP features of this narrow CIFAR-stem net have
# norms around 10, and lr 1.0 (STL-10) or 30 (ImageNet) make the linear
# head diverge.
# Export the backbone first (W = work_dirs/samix-mocov2_resnet18-w32_
# 1xb64-20e_synthetic-shapes):
#   python tools/model_converters/extract_backbone.py \
#     W/epoch_20.pth W/backbone.pth --encoder online
_base_ = [
    '../../_base_/datasets/synthetic_shapes_bs64.py',
    '../../_base_/schedules/linear-eval_sgd-steplr-100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR', depth=18, base_channels=32, num_stages=4,
        out_indices=(3, ), style='pytorch', frozen_stages=4,
        init_cfg=dict(
            type='Pretrained',
            # the converted backbone; PRETRAINED=PATH (environment) replaces it
            checkpoint='{{$PRETRAINED:work_dirs/samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes/backbone.pth}}')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=10, in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)))
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[18, 24], gamma=0.1)
]
train_cfg = dict(max_epochs=30, val_interval=10)
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=10, max_keep_ckpts=1))
