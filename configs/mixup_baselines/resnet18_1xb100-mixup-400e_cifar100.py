# mixup baseline on CIFAR-100 with the SAMix CIFAR schedule
# (docs/algorithm.md#schedules).
_base_ = [
    '../_base_/models/resnet18_cifar.py',
    '../_base_/datasets/cifar100_bs100.py',
    '../_base_/schedules/sgd_coslr_cifar.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
