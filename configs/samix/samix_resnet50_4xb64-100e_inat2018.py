# SAMix, ResNet-50 on iNaturalist 2018, 4 GPUs x 64, 100 epochs
# (docs/algorithm.md#schedules): Mixer lr 0.1 -> 1e-4, eta = 1.0. Reference
# top-1: 64.84 (docs/algorithm.md#reference-numbers).
_base_ = [
    '../_base_/recipes/samix_resnet50_4xb64-100e.py',
    '../_base_/datasets/inat2018_bs64.py',
]
model = dict(
    head_one=dict(num_classes=8142),
    head_mix=dict(num_classes=8142),
    head_mix_k=dict(num_classes=8142))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
# the Mixer group's lr decays to 1e-4 (ImageNet-1k: 1e-3)
param_scheduler = [
    dict(_base_.param_scheduler[0], group_eta_min=dict(mixer=1e-4))]
