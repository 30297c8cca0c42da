# SAMix^P across scenarios (docs/algorithm.md#samixp): the frozen Mixer of a
# CIFAR-100 SAMix run (CIFAR-stem ResNet-18) mixes the batches of an
# ImageNet-pretrained ResNet-50 fine-tuned on CUB-200 at 224 px, 1 GPU x 16,
# 200 epochs, with the fine-grained recipe of docs/algorithm.md#schedules (SGD
# 1e-3 -> 0, wd 5e-4). No reference number exists for this pairing
# (docs/algorithm.md#reference-numbers).
# Make the Mixer file first (default path below):
#   python tools/train.py configs/samix/samix_resnet18_1xb100-400e_cifar100.py
#   python tools/model_converters/export_mixer.py \
#       work_dirs/samix_resnet18_1xb100-400e_cifar100/epoch_400.pth \
#       work_dirs/samixp/mixer_cifar100-r18.pth
# SAMixP maps the ImageNet-normalised inputs to the CIFAR-100 normalisation
# recorded in the file before its encoder sees them. The CIFAR stem keeps
# stride 4 at stage 3, so at 224 px the Mixer attends over 56x56 positions:
# about 40 MB per image in fp32 (0.6 GB per batch of 16).
_base_ = [
    '../_base_/datasets/cub200_bs16.py',
    '../_base_/schedules/sgd_coslr_cifar.py',
    '../_base_/default_runtime.py',
]
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=200, in_channels=2048,
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)),
    train_cfg=dict(
        augments=dict(
            type='SAMixP',
            mixer_file='work_dirs/samixp/mixer_cifar100-r18.pth',
            mean={{_base_.data_preprocessor.mean}},
            std={{_base_.data_preprocessor.std}},
            alpha=2.0,
            lam_margin=0.08)))
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=200, val_interval=10)
auto_scale_lr = dict(base_batch_size=16)
