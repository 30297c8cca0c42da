# Ablation (one key changed): the Mixer is trained with plain mixup CE
# (mmpretrain's soft CrossEntropyLoss) instead of the eta-balanced SAMixLoss;
# this is what the original configs effectively ran, their eta multiplying
# zero terms (docs/algorithm.md, "Differences from the original code").
_base_ = '../samix_resnet18_1xb100-400e_cifar100.py'
model = dict(
    head_mix_k=dict(
        loss=dict(_delete_=True, type='CrossEntropyLoss', use_soft=True,
                  loss_weight=1.0)))
