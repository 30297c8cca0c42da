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
    '../../_base_/recipes/resnet50_linear-steplr-100e.py',
    '../../_base_/datasets/synthetic_shapes_bs64.py',
]
model = dict(
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        base_channels=32,
        init_cfg=dict(
            # the converted backbone; PRETRAINED=PATH (environment) replaces it
            checkpoint='{{$PRETRAINED:work_dirs/samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes/backbone.pth}}')),
    head=dict(num_classes=10, in_channels=256))
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[18, 24], gamma=0.1)
]
train_cfg = dict(max_epochs=30, val_interval=10)
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=10, max_keep_ckpts=1))
