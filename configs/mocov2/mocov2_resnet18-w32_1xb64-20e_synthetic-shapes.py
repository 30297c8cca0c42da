# MoCo v2 baseline (mmpretrain's MoCo) for the SAMix-I demo on the built-in
# SyntheticShapes data: same encoder, neck, queue 1024, momentum 0.99
# (mmpretrain's update weight 0.01), lr 0.06, 20 epochs.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/selfsup/synthetic-shapes_mocov2_bs64.py',
    '../_base_/schedules/mocov2_sgd-coslr-200e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    queue_len=1024,
    momentum=0.01,
    backbone=dict(base_channels=32),
    neck=dict(in_channels=256, hid_channels=256))
optim_wrapper = dict(optimizer=dict(lr=0.06))
train_cfg = dict(max_epochs=20)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=5, max_keep_ckpts=2))
