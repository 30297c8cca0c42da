# SAMix, CIFAR-stem ResNeXt-50 (32x4d) on Tiny-ImageNet, 2 GPUs x 50, 400
# epochs (docs/algorithm.md#schedules): lambda rescale k=0.25. Reference median
# top-1: 72.18.
_base_ = './samix_resnet18_1xb100-400e_tiny-in.py'
model = dict(
    backbone=dict(
        _delete_=True, type='ResNeXt_CIFAR', depth=50, groups=32,
        width_per_group=4, out_indices=(2, 3), style='pytorch'),
    mixer=dict(
        in_channels=1024, lam_mul_k=0.25,
        value_neck_cfg=dict(hidden_channels=512)),
    head_one=dict(in_channels=2048),
    head_mix=dict(in_channels=2048),
    head_mix_k=dict(in_channels=2048))
train_dataloader = dict(batch_size=50)
