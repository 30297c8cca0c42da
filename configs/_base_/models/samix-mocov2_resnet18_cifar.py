# Self-supervised SAMix-I on MoCo v2 with a CIFAR-stem ResNet-18
# (docs/algorithm.md, "Self-supervised SAMix"): the MoCo v2 base (encoder,
# 2-layer MLP neck, temperature 0.2, queue 65536 of 128-d keys) with the
# values of the reference MoCoSAMix constructor (momentum 0.999, alpha 2,
# mask_layer 2, mean_margin 0.1, mask loss 0.1). The Mixer copies the
# supervised CIFAR/Tiny SAMix Mixer; its SSL settings are UNKNOWN (the
# reference publishes no self-supervised SAMix config).
_base_ = './mocov2_resnet18_cifar.py'
model = dict(
    type='SAMixMoCo',
    alpha=2.0,
    momentum=0.999,
    mask_layer=2,
    mean_margin=0.1,
    # the Mixer reads stage 3 (256 channels)
    backbone=dict(out_indices=(2, 3)),
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
