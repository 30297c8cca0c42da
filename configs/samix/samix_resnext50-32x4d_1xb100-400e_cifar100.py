# SAMix, CIFAR-stem ResNeXt-50 (32x4d) on CIFAR-100, 400 epochs
# (docs/algorithm.md#schedules). The Mixer reads stage 3 (1024 channels).
# Reference median top-1: 84.27.
_base_ = './samix_resnet18_1xb100-400e_cifar100.py'
model = dict(
    backbone=dict(
        _delete_=True, type='ResNeXt_CIFAR', depth=50, groups=32,
        width_per_group=4, out_indices=(2, 3), style='pytorch'),
    mixer=dict(in_channels=1024, value_neck_cfg=dict(hidden_channels=512)),
    head_one=dict(in_channels=2048),
    head_mix=dict(in_channels=2048),
    head_mix_k=dict(in_channels=2048))
