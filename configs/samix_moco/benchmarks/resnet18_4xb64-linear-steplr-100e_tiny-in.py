# Linear evaluation on Tiny-ImageNet: frozen CIFAR-stem ResNet-18 (all four
# stages frozen, BN in eval), GAP + Linear(512 -> 200), 64 px, the MoCo recipe
# of docs/algorithm.md#evaluation-and-transfer (SGD lr 30, momentum 0.9, no
# weight decay, lr x0.1 at epochs 60 and 80 of 100), 4 GPUs x 64. UNKNOWN: the
# reference has no Tiny-ImageNet linear config; these are the ImageNet values.
# The backbone comes from
#   python tools/model_converters/extract_backbone.py CKPT OUT --encoder online
# of ../samix-mocov2_resnet18_4xb64-400e_tiny-in.py (or its variants:
# PRETRAINED=OUT).
_base_ = [
    '../../_base_/recipes/resnet50_linear-steplr-100e.py',
    '../../_base_/datasets/tiny-in_bs100.py',
]
model = dict(
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        init_cfg=dict(
            # the converted backbone; PRETRAINED=PATH (environment) replaces it
            checkpoint='{{$PRETRAINED:work_dirs/samix-mocov2_resnet18_4xb64-400e_tiny-in/backbone.pth}}')),
    head=dict(num_classes=200, in_channels=512))
train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
