# SAMix with DeiT-S (mmpretrain's VisionTransformer, arch 'deit-small',
# patch 16) at 224 px, 100 classes: the original code's CIFAR-100 recipe for
# vision transformers (its deit_s_l6_a2_near_val_dp01_sz224 config).
# out_type='featmap' makes the backbone give the patch tokens of each layer in
# out_indices as a (N, 384, 14, 14) map, class token dropped: the Mixer reads
# layer 6 of 12 (mask_layer=5, no LayerNorm), the heads the average of the
# last layer's tokens after the final LayerNorm (the original's heads read
# the class token; a class-token head would need an adapter). The momentum
# encoder stops after layer 6 for the Mixer's map (forward_to_stage).
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='SAMixClassifier',
    alpha=2.0,
    momentum=0.999,
    mask_layer=5,
    lam_margin=0.08,
    backbone=dict(
        type='VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        out_indices=(5, 11),
        out_type='featmap',
        drop_path_rate=0.1,
        # mmpretrain's DeiT init (its own configs set the last two on the
        # classifier)
        init_cfg=[
            dict(type='Kaiming', layer='Conv2d', mode='fan_in',
                 nonlinearity='linear'),
            dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    neck=dict(type='GlobalAveragePooling'),
    # the original's SAMix Mixer for DeiT-S: nearest upsampling, no lambda
    # rescale, value dropout 0.1
    mixer=dict(
        type='PixelMixer',
        in_channels=384,
        reduction=2,
        use_scale=True,
        upsample_mode='nearest',
        lam_mul=1.0,
        lam_mul_k=-1,
        lam_residual=True,
        x_qk_concat=True,
        value_neck_cfg=dict(hidden_channels=192, dropout=0.1)),
    mask_loss=dict(
        type='MixMaskLoss', margin=0.1, variance_weight=2.0,
        loss_weight=0.1),
    # label smoothing 0.1 on the classifier's heads, as the original
    head_one=dict(
        type='LinearClsHead', num_classes=100, in_channels=384,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
    head_mix=dict(
        type='LinearClsHead', num_classes=100, in_channels=384,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
    # the Mixer is trained with the eta-balanced loss, eta of the CIFAR
    # configs (docs/algorithm.md, "Losses")
    head_mix_k=dict(
        type='LinearClsHead', num_classes=100, in_channels=384,
        loss=dict(
            type='SAMixLoss', eta=0.5, form='decoupled', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
)
