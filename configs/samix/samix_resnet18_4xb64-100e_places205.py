# SAMix, ResNet-18 on Places205, 4 GPUs x 64, 100 epochs
# (docs/algorithm.md#schedules). Reference top-1: 59.86
# (docs/algorithm.md#reference-numbers).
_base_ = './samix_resnet50_4xb64-100e_places205.py'
model = dict(
    backbone=dict(depth=18),
    mixer=dict(in_channels=256, value_neck_cfg=dict(hidden_channels=128)),
    head_one=dict(in_channels=512),
    head_mix=dict(in_channels=512),
    head_mix_k=dict(in_channels=512))
