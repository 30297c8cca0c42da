# resizemix baseline on CIFAR-100 with the SAMix CIFAR schedule
# (docs/algorithm.md#schedules): the mixup config of this folder with
# ResizeMix as the batch augment.
_base_ = './resnet18_1xb100-mixup-400e_cifar100.py'
model = dict(
    train_cfg=dict(augments=dict(
        _delete_=True, type='ResizeMix', alpha=1.0, lam_min=0.1, lam_max=0.8)))
