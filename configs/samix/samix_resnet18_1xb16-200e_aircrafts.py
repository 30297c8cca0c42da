# SAMix, ResNet-18 fine-tuned from torchvision ImageNet weights on aircrafts, 1
# GPU x 16, 200 epochs (docs/algorithm.md#schedules): lr 1e-3 -> 0, wd 5e-4,
# Mixer 0.01 -> 5e-4, lambda rescale k=1, no self-pairs, eta = 1.0 (the
# reference used plain mixup CE; see
# docs/algorithm.md#differences-from-the-original-code). Reference top-1: 82.15
# (docs/algorithm.md#reference-numbers). The torchvision weights are fetched by
# mmengine on first use.
_base_ = [
    '../_base_/recipes/samix_resnet18_1xb16-200e_fine-grained.py',
    '../_base_/datasets/aircrafts_bs16.py',
]
model = dict(
    head_one=dict(num_classes=100),
    head_mix=dict(num_classes=100),
    head_mix_k=dict(num_classes=100))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
# momentum encoder 0.999 -> 0.99996 (CUB-200: 0.99999); the other hooks of
# the model base unchanged
custom_hooks = [
    dict(_base_.custom_hooks[0], end_momentum=0.99996),
    *_base_.custom_hooks[1:],
]
