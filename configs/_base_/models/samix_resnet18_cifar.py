# SAMix with a CIFAR-stem ResNet-18: the original code's CIFAR-100 recipe
# (docs/algorithm.md, "Supervised SAMix").
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
        type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(2, 3),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    # the Mixer reads stage 3 (256 channels, 8x8 at 32 px)
    mixer=dict(
        type='PixelMixer',
        in_channels=256,
        reduction=2,
        use_scale=True,
        upsample_mode='bilinear',
        lam_mul=1.0,
        lam_mul_k=0.25,
        lam_residual=True,
        x_qk_concat=True,
        value_neck_cfg=dict(hidden_channels=128, dropout=0.)),
    mask_loss=dict(
        type='MixMaskLoss', margin=0.1, variance_weight=2.0,
        loss_weight=0.1),
    head_one=dict(
        type='LinearClsHead', num_classes=100, in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
    head_mix=dict(
        type='LinearClsHead', num_classes=100, in_channels=512,
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
    # the Mixer is trained with the eta-balanced loss (docs/algorithm.md,
    # "Losses"; the form chosen by the ablation in benchmarks/RESULTS.md)
    head_mix_k=dict(
        type='LinearClsHead', num_classes=100, in_channels=512,
        loss=dict(
            type='SAMixLoss', eta=0.5, form='decoupled', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
)

# The hooks a SAMix model trains with: SAMixMomentumHook moves the momentum
# encoder's EMA from `momentum` to end_momentum (the CIFAR recipe's 0.999 ->
# 0.999999); nothing else updates it.
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999999),
    # clean BN statistics of the momentum encoder before every
    # evaluation and checkpoint (docs/algorithm.md, "BN statistics")
    dict(type='PreciseBNHook', num_samples=1024, interval=1,
         priority='ABOVE_NORMAL'),
]
