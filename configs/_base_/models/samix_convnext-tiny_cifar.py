# SAMix with ConvNeXt-T (mmpretrain's ConvNeXt, arch 'tiny') with a CIFAR
# stem at 32 px, 100 classes: the original code's CIFAR-100 recipe (its
# convnext_t_l2_a2_bili_val_dp01 config). stem_patch_size=1 makes the stem a
# 1x1 conv of stride 1 (the original's ConvNeXt_CIFAR: a 3x3 conv of stride
# 1), so the stages run at 32, 16, 8 and 4 px. gap_before_final_norm=False
# makes the backbone give (N, C, h, w) maps (True pools them to (N, C)),
# each after a LayerNorm: the Mixer reads stage 3 (384 channels, 8x8), the
# heads the average of stage 4 (768 channels, 4x4). The original pooled the
# last stage before its LayerNorm and gave the Mixer stage 3 un-normalised.
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
        type='ConvNeXt',
        arch='tiny',
        stem_patch_size=1,
        out_indices=(2, 3),
        gap_before_final_norm=False,
        drop_path_rate=0.3),
    neck=dict(type='GlobalAveragePooling'),
    # the original's SAMix Mixer for ConvNeXt-T: bilinear upsampling, no
    # lambda rescale, value dropout 0.1
    mixer=dict(
        type='PixelMixer',
        in_channels=384,
        reduction=2,
        use_scale=True,
        upsample_mode='bilinear',
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
        type='LinearClsHead', num_classes=100, in_channels=768,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
    head_mix=dict(
        type='LinearClsHead', num_classes=100, in_channels=768,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
    # the Mixer is trained with the eta-balanced loss, eta of the CIFAR
    # configs (docs/algorithm.md, "Losses")
    head_mix_k=dict(
        type='LinearClsHead', num_classes=100, in_channels=768,
        loss=dict(
            type='SAMixLoss', eta=0.5, form='decoupled', loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)),
)
