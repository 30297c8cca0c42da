# SAMix, ResNet-18 fine-tuned from torchvision ImageNet weights on cub200, 1
# GPU x 16, 200 epochs (docs/algorithm.md#schedules): lr 1e-3 -> 0, wd 5e-4,
# Mixer 0.01 -> 5e-4, lambda rescale k=1, no self-pairs, eta = 1.0 (the
# reference used plain mixup CE; see
# docs/algorithm.md#differences-from-the-original-code). Reference top-1: 81.11
# (docs/algorithm.md#reference-numbers). The torchvision weights are fetched by
# mmengine on first use.
_base_ = [
    '../_base_/recipes/samix_resnet18_1xb16-200e_fine-grained.py',
    '../_base_/datasets/cub200_bs16.py',
]
# the heads of the fine-grained base have CUB-200's 200 classes
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
