# AutoMix = the SAMix components with AutoMix values (docs/algorithm.md,
# "AutoMix as config values"): nearest upsampling, a 1x1-conv value, no lambda
# multiplication, q/k from the own sample only, L1 mask loss (no variance
# term), and the Mixer trained with plain mixup CE (head_mix_k = a copy of
# head_mix).
_base_ = './samix_resnet18_cifar.py'
model = dict(
    mixer=dict(
        _delete_=True,
        type='PixelMixer',
        in_channels=256,
        reduction=2,
        use_scale=True,
        upsample_mode='nearest',
        lam_concat=False),
    mask_loss=dict(variance_weight=0.),
    head_mix_k=None)
