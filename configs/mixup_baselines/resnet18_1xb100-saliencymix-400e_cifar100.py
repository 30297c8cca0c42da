# SaliencyMix baseline on CIFAR-100: the CutMix config of this folder (SAMix
# CIFAR schedule, docs/algorithm.md#schedules) with SaliencyMix as the batch
# augment. alpha = 0.2: OpenMixup CIFAR-100 benchmark configs (ResNet-18,
# SaliencyMix alpha 0.2). For scale only (other code and setup), OpenMixup's
# table reports 79.64 top-1 at 400 epochs.
_base_ = './resnet18_1xb100-cutmix-400e_cifar100.py'
model = dict(
    train_cfg=dict(augments=dict(
        _delete_=True, type='SaliencyMix', alpha=0.2)))
