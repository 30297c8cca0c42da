# PuzzleMix baseline (arXiv 2009.06962) on the built-in SyntheticShapes
# data, same (half-width) backbone, data and budget as the SAMix demo
# (configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py).
# The vanilla config of this folder with saliency-guided graph-cut masks,
# block transport and mixed (soft) labels. PuzzleMixClassifier's defaults
# are the original CIFAR-100 setting that the CIFAR config of this folder
# lists (alpha 1, block_num (2, 4, 8, 16), beta 1.2, gamma 0.5, eta 0.2,
# neigh_size 4, n_labels 3, t_eps 0.8, t_size 4, transport): 32 px images
# too; not tuned for this data.
_base_ = './resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    type='PuzzleMixClassifier',
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
