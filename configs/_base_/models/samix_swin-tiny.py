# SAMix with Swin-T (mmpretrain's SwinTransformer, arch 'tiny') at 224 px,
# 100 classes: the original code's CIFAR-100 recipe (its
# swin_t_l3_a2_near_val_dp01_sz224 config). out_after_downsample=True gives
# each stage's output after its patch merging, as the original's Swin did:
# the Mixer reads stage 3 merged (768 channels, 7x7 at 224 px), the heads
# the average of stage 4 (768 channels, 7x7). Swin-T needs inputs of at
# least 224 px: a smaller one makes a stage map smaller than the 7x7 window,
# which mmpretrain refuses unless pad_small_map=True (which would also shift
# the windows of the 7x7 last stage at 224 px, unlike Swin).
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
        type='SwinTransformer',
        arch='tiny',
        img_size=224,
        out_indices=(2, 3),
        out_after_downsample=True,
        drop_path_rate=0.2,
        # mmpretrain's Swin init (its own configs set it on the classifier)
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    neck=dict(type='GlobalAveragePooling'),
    # the original's SAMix Mixer for Swin-T: nearest upsampling, no lambda
    # rescale, value dropout 0.1
    mixer=dict(
        type='PixelMixer',
        in_channels=768,
        reduction=2,
        use_scale=True,
        upsample_mode='nearest',
        lam_mul=1.0,
        lam_mul_k=-1,
        lam_residual=True,
        x_qk_concat=True,
        value_neck_cfg=dict(hidden_channels=384, dropout=0.1)),
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
