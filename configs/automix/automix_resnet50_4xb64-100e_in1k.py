# AutoMix, ResNet-50 on ImageNet-1k, 100 epochs (docs/algorithm.md#schedules):
# the lambda channel is concatenated ("lam_cat") on ImageNet-scale data; the
# rest of the schedule is SAMix's. Reference top-1: 77.91
# (docs/algorithm.md#reference-numbers).
_base_ = [
    '../samix/samix_resnet50_4xb64-100e_in1k.py',
    '../_base_/recipes/automix_parts.py',
]
model = dict(
    mixer=dict(_delete_=True, in_channels=1024, lam_concat=True,
               **_base_.automix_mixer),
    **_base_.automix_model)
