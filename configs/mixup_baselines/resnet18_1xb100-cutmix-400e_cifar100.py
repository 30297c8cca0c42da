# cutmix baseline on CIFAR-100 with the SAMix CIFAR schedule
# (docs/algorithm.md#schedules): the mixup config of this folder with CutMix
# as the batch augment.
_base_ = './resnet18_1xb100-mixup-400e_cifar100.py'
model = dict(
    train_cfg=dict(augments=dict(_delete_=True, type='CutMix', alpha=0.2)))
