# SAMix with a torchvision-style ResNet-50 at 224 px (ImageNet row of
# docs/algorithm.md#schedules): the Mixer reads layer3 (1024 channels, 14x14),
# value dropout 0.1, no lambda rescale, eta = 1.0 for the Mixer's loss.
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='SAMixClassifier',
    alpha=2.0,
    momentum=0.999,
    mask_layer=2,
    lam_margin=0.08,
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(2, 3),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    mixer=dict(
        type='PixelMixer',
        in_channels=1024,
        reduction=2,
        use_scale=True,
        upsample_mode='bilinear',
        lam_mul=1.0,
        lam_mul_k=-1,
        lam_residual=True,
        x_qk_concat=True,
        value_neck_cfg=dict(hidden_channels=512, dropout=0.1)),
    mask_loss=dict(
        type='MixMaskLoss', margin=0.1, variance_weight=2.0,
        loss_weight=0.1),
    head_one=dict(
        type='LinearClsHead', num_classes=1000, in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
    head_mix=dict(
        type='LinearClsHead', num_classes=1000, in_channels=2048,
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
    head_mix_k=dict(
        type='LinearClsHead', num_classes=1000, in_channels=2048,
        loss=dict(
            type='SAMixLoss', eta=1.0, form='decoupled', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
)
