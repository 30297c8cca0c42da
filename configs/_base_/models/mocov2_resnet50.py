# MoCo v2 baseline (mmpretrain's MoCo) with a torchvision-style ResNet-50:
# the same encoder, neck, head and queue as samix-mocov2_resnet50.py. Only
# the encoder and the neck widths differ from the ResNet-18 base.
_base_ = './mocov2_resnet18_cifar.py'
model = dict(
    backbone=dict(type='ResNet', depth=50),
    neck=dict(in_channels=2048, hid_channels=2048))
