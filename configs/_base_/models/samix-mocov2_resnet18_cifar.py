# Self-supervised SAMix-I on MoCo v2 with a CIFAR-stem ResNet-18
# (docs/algorithm.md, "Self-supervised SAMix"). Values of the reference
# MoCoSAMix constructor (queue 65536, 128-d keys, momentum 0.999, alpha 2,
# mask_layer 2, mean_margin 0.1, mask loss 0.1); MoCo v2 defaults otherwise
# (2-layer MLP neck, temperature 0.2). The Mixer copies the supervised
# CIFAR/Tiny SAMix Mixer; its SSL settings are UNKNOWN (the reference
# publishes no self-supervised SAMix config).
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='SAMixMoCo',
    queue_len=65536,
    feat_dim=128,
    alpha=2.0,
    momentum=0.999,
    mask_layer=2,
    mean_margin=0.1,
    backbone=dict(
        type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(2, 3),
        style='pytorch', zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck', in_channels=512, hid_channels=512,
        out_channels=128, with_avg_pool=True),
    head=dict(
        type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
        temperature=0.2),
    # the Mixer reads stage 3 (256 channels)
    mixer=dict(
        type='PixelMixer',
        in_channels=256,
        reduction=2,
        use_scale=True,
        upsample_mode='bilinear',
        lam_mul=1.0,
        lam_mul_k=-1,
        lam_residual=True,
        x_qk_concat=True,
        value_neck_cfg=dict(hidden_channels=128, dropout=0.)),
    # SAMix-I: lambda-weighted InfoNCE through the frozen momentum encoder
    mixer_loss=dict(type='InstanceMixLoss', temperature=0.2,
                    loss_weight=1.0),
    mask_loss=dict(
        type='MixMaskLoss', margin=0.1, variance_weight=2.0,
        loss_weight=0.1),
)
