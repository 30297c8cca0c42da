# SAMix with a micro VisionTransformer on the built-in SyntheticShapes data:
# the wiring of the DeiT-S configs (samix_deit-small_1xb100-200e_cifar100.py)
# at a size that trains on a CPU in minutes. 4 layers of 64 channels, 2
# heads, patch 4 at 32 px (8x8 tokens); out_type='featmap' gives the patch
# tokens as maps (class token dropped): the Mixer reads layer 2 of 4
# (mask_layer=1, 64 channels, 8x8), the heads the average of the last
# layer's. The demo's data, schedule and momentum encoder
# (samix_resnet18-w32_1xb64-15e_synthetic-shapes.py), label smoothing as the
# DeiT-S configs.
_base_ = './samix_resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    mask_layer=1,
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch=dict(embed_dims=64, num_layers=4, num_heads=2,
                  feedforward_channels=256),
        img_size=32,
        patch_size=4,
        out_indices=(1, 3),
        out_type='featmap'),
    mixer=dict(in_channels=64, value_neck_cfg=dict(hidden_channels=32)),
    head_one=dict(
        in_channels=64,
        loss=dict(_delete_=True, type='LabelSmoothLoss',
                  label_smooth_val=0.1, mode='original', loss_weight=1.0)),
    head_mix=dict(
        in_channels=64,
        loss=dict(_delete_=True, type='LabelSmoothLoss',
                  label_smooth_val=0.1, mode='original', loss_weight=1.0)),
    head_mix_k=dict(in_channels=64))
# no PreciseBNHook: the backbone has LayerNorms only, without running
# statistics
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999),
    dict(type='MixerVisualizationHook', interval=200, num_samples=8),
]
