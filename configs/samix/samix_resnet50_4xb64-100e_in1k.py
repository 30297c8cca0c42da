# SAMix, ResNet-50 on ImageNet-1k, 4 GPUs x 64, 100 epochs
# (docs/algorithm.md#schedules): backbone lr 0.1 -> 0, Mixer group 0.1 -> 1e-3
# with SGD momentum 0 (the reference "m0" 100-epoch setting), mask-loss weight
# 0.1 -> 0 by cosine, momentum 0.999 -> 0.99999, eta = 1.0. Reference top-1:
# 78.14 (docs/algorithm.md#reference-numbers).
_base_ = [
    '../_base_/recipes/samix_resnet50_4xb64-100e.py',
    '../_base_/datasets/in1k_bs64.py',
]
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
optim_wrapper = dict(paramwise_cfg=dict(mixer=dict(lr=0.1, momentum=0.)))
train_cfg = dict(max_epochs=100)
