# Self-supervised SAMix-I on MoCo v2 with a torchvision-style ResNet-50
# (docs/algorithm.md, "Self-supervised SAMix"): the ResNet-18 base with the
# encoder, the neck widths (2048-2048-128 MLP) and the supervised ImageNet
# SAMix Mixer (reads layer3, 1024 channels; value dropout 0.1) swapped in.
# Its SSL settings are UNKNOWN.
_base_ = './samix-mocov2_resnet18_cifar.py'
model = dict(
    backbone=dict(type='ResNet', depth=50),
    neck=dict(in_channels=2048, hid_channels=2048),
    mixer=dict(
        in_channels=1024,
        value_neck_cfg=dict(hidden_channels=512, dropout=0.1)))
