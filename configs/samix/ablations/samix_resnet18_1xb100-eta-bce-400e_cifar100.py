# Ablation (one key changed): the Mixer is trained with the BCE form of the
# eta-balanced SAMixLoss (mixed classes summed, the others averaged) instead
# of the default decoupled form (docs/algorithm.md, "Losses").
_base_ = '../samix_resnet18_1xb100-400e_cifar100.py'
model = dict(head_mix_k=dict(loss=dict(form='bce')))
