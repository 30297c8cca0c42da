# Manifold Mixup baseline (arXiv 1806.05236) on the built-in
# SyntheticShapes data, same (half-width) backbone, data and budget as the
# SAMix demo (configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py).
# The vanilla config of this folder with the features of a random stage
# mixed and mixed (soft) labels; alpha and stages as in the CIFAR config of
# this folder (not tuned for this data).
_base_ = './resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    type='ManifoldMixClassifier',
    alpha=2.0,
    # -1: the input image, i >= 0: after res_layers[i] (layer{i+1})
    mix_stages=(-1, 0, 1),
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
