# SAMix-I (self-supervised, MoCo v2 based) on the built-in SyntheticShapes
# data (no files): the demo and test config. CIFAR-stem ResNet-18 at half
# width (base_channels=32), 2500 images at 32 px, 20 epochs. Chosen for a
# short CPU run, not from any reference: queue 1024 (below the dataset
# size, so a sample's own old keys rarely become negatives), lr 0.06,
# momentum 0.99 (0.999 barely moves the momentum encoder in 780 steps).
# Linear evaluation: benchmarks/resnet18-w32_1xb64-linear-steplr-30e_
# synthetic-shapes.py on the extracted backbone.
_base_ = [
    '../_base_/models/samix-mocov2_resnet18_cifar.py',
    '../_base_/datasets/selfsup/synthetic-shapes_mocov2_bs64.py',
    '../_base_/schedules/mocov2_sgd-coslr-200e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    queue_len=1024,
    momentum=0.99,
    backbone=dict(base_channels=32),
    neck=dict(in_channels=256, hid_channels=256),
    mixer=dict(in_channels=128, value_neck_cfg=dict(hidden_channels=64)))
optim_wrapper = dict(optimizer=dict(lr=0.06))
train_cfg = dict(max_epochs=20)
# parameter-only EMA after every step, constant momentum (MoCo v2)
custom_hooks = [dict(type='SAMixMomentumHook')]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=5, max_keep_ckpts=2))
