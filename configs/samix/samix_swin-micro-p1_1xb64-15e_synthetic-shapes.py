# SAMix with a micro SwinTransformer on the built-in SyntheticShapes data:
# the wiring of the Swin-T configs (samix_swin-tiny_1xb100-200e_cifar100.py)
# at a size that trains on a CPU in minutes. Stages of 32, 64, 128 and 256
# channels (depths 1, 1, 2, 1), windows of 4, patch 1 at 32 px (stages at
# 32, 16, 8 and 4 px); out_after_downsample=True as for Swin-T: the Mixer
# reads stage 3 after its patch merging (256 channels, 4x4), the heads the
# average of stage 4 (256 channels, 4x4). The demo's data, schedule and
# momentum encoder (samix_resnet18-w32_1xb64-15e_synthetic-shapes.py), label
# smoothing as the Swin-T configs.
_base_ = './samix_resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        arch=dict(embed_dims=32, depths=[1, 1, 2, 1],
                  num_heads=[1, 2, 4, 8]),
        img_size=32,
        patch_size=1,
        window_size=4,
        out_indices=(2, 3),
        out_after_downsample=True),
    mixer=dict(in_channels=256, value_neck_cfg=dict(hidden_channels=128)),
    head_one=dict(
        in_channels=256,
        loss=dict(_delete_=True, type='LabelSmoothLoss',
                  label_smooth_val=0.1, mode='original', loss_weight=1.0)),
    head_mix=dict(
        in_channels=256,
        loss=dict(_delete_=True, type='LabelSmoothLoss',
                  label_smooth_val=0.1, mode='original', loss_weight=1.0)),
    head_mix_k=dict(in_channels=256))
# no PreciseBNHook: the backbone has LayerNorms only, without running
# statistics
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999),
    dict(type='MixerVisualizationHook', interval=200, num_samples=8),
]
