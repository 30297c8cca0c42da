# SAMix-I (self-supervised, MoCo v2 based), ResNet-50 on ImageNet-1k train
# at 224 px, 4 GPUs x 64 (total 256). Reference MoCoSAMix values in the
# model base; MoCo v2 defaults otherwise (SGD 0.03 for batch 256, cosine,
# wd 1e-4, constant momentum 0.999, 200 epochs). UNKNOWN: the reference has
# no SSL config. Then extract the online encoder
# (tools/model_converters/extract_backbone.py CKPT OUT --encoder online) and
# run benchmarks/resnet50_4xb64-linear-steplr-100e_in1k.py.
_base_ = [
    '../_base_/models/samix-mocov2_resnet50.py',
    '../_base_/datasets/selfsup/in1k_mocov2_bs64.py',
    '../_base_/schedules/mocov2_sgd-coslr-200e.py',
    '../_base_/default_runtime.py',
]
train_cfg = dict(max_epochs=200)
custom_hooks = [dict(type='SAMixMomentumHook')]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
