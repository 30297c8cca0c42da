# mixup baseline on CIFAR-100 with the SAMix CIFAR schedule
# (docs/algorithm.md#schedules): the vanilla config of this folder with
# mixed (soft) labels.
_base_ = './resnet18_1xb100-400e_cifar100.py'
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
