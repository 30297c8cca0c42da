# Manifold Mixup baseline (arXiv 1806.05236) on CIFAR-100 with the SAMix
# CIFAR schedule (docs/algorithm.md#schedules): the vanilla config of this
# folder with the features of a random stage mixed and mixed (soft) labels.
# alpha = 2.0 and the mixing points {input, after layer1, after layer2} are
# the original CIFAR setting (PreActResNet-18 there; the CIFAR-stem
# ResNet-18 here). Reference top-1 for this backbone and budget: UNKNOWN.
_base_ = './resnet18_1xb100-400e_cifar100.py'
model = dict(
    type='ManifoldMixClassifier',
    alpha=2.0,
    # -1: the input image, i >= 0: after res_layers[i] (layer{i+1}), so the
    # paper's stages {0, 1, 2} are (-1, 0, 1) here
    mix_stages=(-1, 0, 1),
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
