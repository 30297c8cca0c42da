# AutoMix, CIFAR-stem ResNet-18 on CIFAR-100, 400 epochs
# (docs/algorithm.md#schedules). Reference median top-1: 81.78
# (docs/algorithm.md#reference-numbers).
_base_ = [
    '../_base_/models/automix_resnet18_cifar.py',
    '../_base_/datasets/cifar100_bs100.py',
    '../_base_/schedules/sgd_coslr_cifar.py',
    '../_base_/default_runtime.py',
]
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
