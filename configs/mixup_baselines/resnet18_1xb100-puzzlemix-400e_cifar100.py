# PuzzleMix baseline (arXiv 2009.06962) on CIFAR-100 with the SAMix CIFAR
# schedule (docs/algorithm.md#schedules): the vanilla config of this folder
# with saliency-guided graph-cut masks, block transport and mixed (soft)
# labels; every step adds a forward + input-gradient pass for the saliency.
# Hyper-parameters: the CIFAR-100 PuzzleMix setting of OpenMixup
# (configs/classification/cifar100/mixups/basic/r18/mix_modepuzzlemix/
# r18_mixups_CE_soft_alpha1_ep800.py: alpha 1, block_num=5, beta 1.2,
# gamma 0.5, eta 0.2, neigh_size 4, n_labels 3, t_eps 0.8, t_size 4,
# transport), the original's CIFAR-100 recipe (snu-mllab/PuzzleMix README;
# no clean-input loss, no adversarial noise). OpenMixup's block_num=5 draws
# the grid side 2**randint(1, 5), i.e. (2, 4, 8, 16) here. For scale only
# (other code and setup), OpenMixup's table reports 80.82 top-1 at 400
# epochs (ResNet-18, alpha 1).
_base_ = './resnet18_1xb100-400e_cifar100.py'
model = dict(
    type='PuzzleMixClassifier',
    alpha=1.0,
    block_num=(2, 4, 8, 16),
    beta=1.2,
    gamma=0.5,
    eta=0.2,
    neigh_size=4,
    n_labels=3,
    t_eps=0.8,
    t_size=4,
    transport=True,
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
