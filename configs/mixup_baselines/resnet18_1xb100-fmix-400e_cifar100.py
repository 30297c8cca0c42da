# FMix baseline on CIFAR-100: the CutMix config of this folder (SAMix CIFAR
# schedule, docs/algorithm.md#schedules) with FMix as the batch augment.
# alpha = 0.2 and decay_power = 3: OpenMixup CIFAR-100 benchmark configs
# (ResNet-18, FMix alpha 0.2; decay_power 3 as in the FMix paper). For scale
# only (other code and setup), OpenMixup's table reports 79.91 top-1 at 400
# epochs.
_base_ = './resnet18_1xb100-cutmix-400e_cifar100.py'
model = dict(
    train_cfg=dict(augments=dict(
        _delete_=True, type='FMix', alpha=0.2, decay_power=3.0)))
