# SAMix-I (self-supervised, MoCo v2 based), CIFAR-stem ResNet-18 on
# Tiny-ImageNet train (100000 images, 64 px), 4 GPUs x 64. Reference
# MoCoSAMix values in the model base; MoCo v2 defaults otherwise (SGD 0.03
# for batch 256, cosine, wd 1e-4, constant momentum 0.999). UNKNOWN: the
# reference has no SSL config; the CIFAR-stem R-18 (as in our supervised
# Tiny configs) and 400 epochs are our choice. Then extract the online
# encoder (tools/model_converters/extract_backbone.py CKPT OUT --encoder
# online) and run benchmarks/resnet18_4xb64-linear-steplr-100e_tiny-in.py.
_base_ = [
    '../_base_/models/samix-mocov2_resnet18_cifar.py',
    '../_base_/datasets/selfsup/tiny-in_mocov2_bs64.py',
    '../_base_/schedules/mocov2_sgd-coslr-200e.py',
    '../_base_/default_runtime.py',
]
train_cfg = dict(max_epochs=400)
custom_hooks = [dict(type='SAMixMomentumHook')]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
