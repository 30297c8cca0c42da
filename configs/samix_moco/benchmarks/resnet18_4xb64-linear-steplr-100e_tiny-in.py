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
    '../../_base_/datasets/tiny-in_bs100.py',
    '../../_base_/schedules/linear-eval_sgd-steplr-100e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ),
        style='pytorch', frozen_stages=4,
        init_cfg=dict(
            type='Pretrained',
            # the converted backbone; PRETRAINED=PATH (environment) replaces it
            checkpoint='{{$PRETRAINED:work_dirs/samix-mocov2_resnet18_4xb64-400e_tiny-in/backbone.pth}}')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=200, in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)))
train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
