# SAMix, CIFAR-stem ResNet-18 on Tiny-ImageNet (64 px, 200 classes), 400 epochs
# (docs/algorithm.md#schedules): backbone lr 0.2 -> 0.05, Mixer group 0.1 ->
# 1e-3, no lambda rescale for R-18, eta = 0.5. Reference median top-1: 68.89.
_base_ = [
    '../_base_/models/samix_resnet18_cifar.py',
    '../_base_/datasets/tiny-in_bs100.py',
    '../_base_/default_runtime.py',
]
model = dict(
    mixer=dict(lam_mul_k=-1),
    head_one=dict(num_classes=200),
    head_mix=dict(num_classes=200),
    head_mix_k=dict(num_classes=200))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator

optim_wrapper = dict(
    constructor='NamedGroupOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(mixer=dict(lr=0.1, momentum=0.9)))
param_scheduler = [
    dict(type='GroupCosineAnnealingLR', eta_min=0.05,
         group_eta_min=dict(mixer=1e-3), by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=10)
val_cfg = dict()
test_cfg = dict()
