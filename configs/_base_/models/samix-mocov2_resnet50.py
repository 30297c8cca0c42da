# Self-supervised SAMix-I on MoCo v2 with a torchvision-style ResNet-50
# (spec §4). Values of the reference MoCoSAMix constructor where the spec
# gives them (queue 65536, 128-d keys, momentum 0.999, alpha 2,
# mask_layer 2, mean_margin 0.1, mask loss 0.1); MoCo v2 defaults otherwise
# (2048-2048-128 MLP neck, temperature 0.2). The Mixer copies the
# supervised ImageNet SAMix Mixer (spec §6); its SSL settings are UNKNOWN.
model = dict(
    type='SAMixMoCo',
    queue_len=65536,
    feat_dim=128,
    alpha=2.0,
    momentum=0.999,
    mask_layer=2,
    mean_margin=0.1,
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(2, 3),
        style='pytorch', zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck', in_channels=2048, hid_channels=2048,
        out_channels=128, with_avg_pool=True),
    head=dict(
        type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
        temperature=0.2),
    # the Mixer reads layer3 (1024 channels)
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
    # SAMix-I: lambda-weighted InfoNCE through the frozen momentum encoder
    mixer_loss=dict(type='InstanceMixLoss', temperature=0.2,
                    loss_weight=1.0),
    mask_loss=dict(
        type='MixMaskLoss', margin=0.1, variance_weight=2.0,
        loss_weight=0.1),
)
