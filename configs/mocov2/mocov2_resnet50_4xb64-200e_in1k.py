# MoCo v2 baseline (mmpretrain's MoCo) for the SAMix ImageNet-1k configs:
# ResNet-50, 224 px, 4 GPUs x 64, SGD 0.03 cosine, 200 epochs (the MoCo v2
# recipe of mmpretrain's mocov2_resnet50_8xb32-coslr-200e_in1k.py).
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/selfsup/in1k_mocov2_bs64.py',
    '../_base_/schedules/mocov2_sgd-coslr-200e.py',
    '../_base_/default_runtime.py',
]
train_cfg = dict(max_epochs=200)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
