# SAMix with a micro ConvNeXt on the built-in SyntheticShapes data: the
# wiring of the ConvNeXt-T configs
# (samix_convnext-tiny_1xb100-200e_cifar100.py) at a size that trains on a
# CPU in minutes. Stages of 32, 64, 128 and 256 channels (depths 1, 1, 2,
# 1), the CIFAR stem of stem_patch_size=1 (stages at 32, 16, 8 and 4 px);
# gap_before_final_norm=False gives maps: the Mixer reads stage 3 (128
# channels, 8x8), the heads the average of stage 4 (256 channels, 4x4). The
# demo's data, schedule and momentum encoder
# (samix_resnet18-w32_1xb64-15e_synthetic-shapes.py), label smoothing as the
# ConvNeXt-T configs.
_base_ = './samix_resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ConvNeXt',
        arch=dict(depths=[1, 1, 2, 1], channels=[32, 64, 128, 256]),
        stem_patch_size=1,
        out_indices=(2, 3),
        gap_before_final_norm=False),
    mixer=dict(in_channels=128, value_neck_cfg=dict(hidden_channels=64)),
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
