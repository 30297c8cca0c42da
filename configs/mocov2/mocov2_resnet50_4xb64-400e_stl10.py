# MoCo v2 baseline (mmpretrain's MoCo) for the SAMix STL-10 configs: same
# ResNet-50, data, schedule and epochs (400, our choice).
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/selfsup/stl10_mocov2_bs64.py',
    '../_base_/schedules/mocov2_sgd-coslr-200e.py',
    '../_base_/default_runtime.py',
]
train_cfg = dict(max_epochs=400)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
