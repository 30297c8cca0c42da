# SAMix with a torchvision-style ResNet-50 at 224 px (ImageNet row of
# docs/algorithm.md#schedules): the CIFAR ResNet-18 base with the encoder,
# the Mixer's widths and the heads swapped in. The Mixer reads layer3 (1024
# channels, 14x14), value dropout 0.1, no lambda rescale, eta = 1.0 for the
# Mixer's loss.
_base_ = './samix_resnet18_cifar.py'
model = dict(
    backbone=dict(type='ResNet', depth=50),
    mixer=dict(
        in_channels=1024,
        lam_mul_k=-1,
        value_neck_cfg=dict(hidden_channels=512, dropout=0.1)),
    head_one=dict(num_classes=1000, in_channels=2048),
    head_mix=dict(num_classes=1000, in_channels=2048),
    head_mix_k=dict(num_classes=1000, in_channels=2048, loss=dict(eta=1.0)))

# The hooks of the ImageNet-scale recipes: momentum 0.999 -> 0.99999, and
# MaskLossAnnealHook anneals the mask-loss weight 0.1 -> 0 by cosine.
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.99999),
    # clean BN statistics of the momentum encoder before every
    # evaluation and checkpoint (docs/algorithm.md, "BN statistics")
    dict(type='PreciseBNHook', num_samples=1024, interval=1,
         priority='ABOVE_NORMAL'),
    dict(type='MaskLossAnnealHook', min_weight=0.),
]
