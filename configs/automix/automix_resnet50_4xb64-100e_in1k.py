# AutoMix, ResNet-50 on ImageNet-1k, 100 epochs (docs/algorithm.md#schedules):
# the lambda channel is concatenated ("lam_cat") on ImageNet-scale data; the
# rest of the schedule is SAMix's. Reference top-1: 77.91
# (docs/algorithm.md#reference-numbers).
_base_ = '../samix/samix_resnet50_4xb64-100e_in1k.py'
model = dict(
    mixer=dict(
        _delete_=True,
        type='PixelMixer',
        in_channels=1024,
        reduction=2,
        use_scale=True,
        upsample_mode='nearest',
        lam_concat=True),
    mask_loss=dict(variance_weight=0.),
    head_mix_k=None)
