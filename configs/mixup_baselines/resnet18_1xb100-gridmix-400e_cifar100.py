# GridMix baseline on CIFAR-100: the CutMix config of this folder (SAMix
# CIFAR schedule, docs/algorithm.md#schedules) with GridMix as the batch
# augment. alpha = 0.2: OpenMixup CIFAR-100 benchmark configs (ResNet-18,
# GridMix alpha 0.2). n_holes = 4 is samix_mm's choice: OpenMixup's GridMix
# is a different (regular-lattice) mask with other parameters, so its 78.60
# top-1 at 400 epochs is for scale only.
_base_ = './resnet18_1xb100-cutmix-400e_cifar100.py'
model = dict(
    train_cfg=dict(augments=dict(
        _delete_=True, type='GridMix', alpha=0.2, n_holes=4)))
