# SAMix, CIFAR-stem ResNet-18 on CIFAR-100, 800 epochs
# (docs/algorithm.md#schedules): SGD 0.1 -> 0.05 for all parameters, lambda
# rescale k=0.25, eta = 0.5, momentum 0.999 -> 0.999999. Reference median
# top-1: 81.97 (400e), 82.30 (800e) (docs/algorithm.md#reference-numbers).
# The 400-epoch config, trained twice as long.
_base_ = './samix_resnet18_1xb100-400e_cifar100.py'
train_cfg = dict(max_epochs=800)
