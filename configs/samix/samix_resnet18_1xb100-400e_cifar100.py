# SAMix, CIFAR-stem ResNet-18 on CIFAR-100, 400 epochs
# (docs/algorithm.md#schedules): SGD 0.1 -> 0.05 for all parameters, lambda
# rescale k=0.25, eta = 0.5, momentum 0.999 -> 0.999999. Reference median
# top-1: 81.97 (400e), 82.30 (800e) (docs/algorithm.md#reference-numbers).
_base_ = [
    '../_base_/models/samix_resnet18_cifar.py',
    '../_base_/datasets/cifar100_bs100.py',
    '../_base_/schedules/sgd_coslr_cifar.py',
    '../_base_/default_runtime.py',
]
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=400)
