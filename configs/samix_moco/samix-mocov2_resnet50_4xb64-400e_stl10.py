# SAMix-I (self-supervised, MoCo v2 based), ResNet-50 on STL-10 train +
# unlabeled (105000 images, 96 px), 4 GPUs x 64. Reference MoCoSAMix values
# in the model base; MoCo v2 defaults otherwise (SGD 0.03 for batch 256,
# cosine, wd 1e-4, constant momentum 0.999). UNKNOWN: the reference has no
# SSL config; 400 epochs is our choice. Then: extract the online encoder with
#   python tools/model_converters/extract_backbone.py \
#     work_dirs/samix-mocov2_resnet50_4xb64-400e_stl10/epoch_400.pth \
#     work_dirs/samix-mocov2_resnet50_4xb64-400e_stl10/backbone.pth \
#     --encoder online
# and run benchmarks/resnet50_4xb64-linear-steplr-100e_stl10.py.
_base_ = [
    '../_base_/models/samix-mocov2_resnet50.py',
    '../_base_/datasets/selfsup/stl10_mocov2_bs64.py',
    '../_base_/schedules/mocov2_sgd-coslr-200e.py',
    '../_base_/default_runtime.py',
]
train_cfg = dict(max_epochs=400)
custom_hooks = [dict(type='SAMixMomentumHook')]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
