# SAMix, ResNet-18 fine-tuned from torchvision ImageNet weights on cub200, 1
# GPU x 16, 200 epochs (docs/algorithm.md#schedules): lr 1e-3 -> 0, wd 5e-4,
# Mixer 0.01 -> 5e-4, lambda rescale k=1, no self-pairs, eta = 1.0 (the
# reference used plain mixup CE; see
# docs/algorithm.md#differences-from-the-original-code). Reference top-1: 81.11
# (docs/algorithm.md#reference-numbers). The torchvision weights are fetched by
# mmengine on first use.
_base_ = [
    '../_base_/models/samix_resnet50_in1k.py',
    '../_base_/datasets/cub200_bs16.py',
    '../_base_/schedules/sgd_coslr_mixer-group.py',
    '../_base_/default_runtime.py',
]
model = dict(
    mix_no_repeat=True,
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    mixer=dict(in_channels=256, lam_mul_k=1,
               value_neck_cfg=dict(hidden_channels=128)),
    head_one=dict(num_classes=200, in_channels=512),
    head_mix=dict(num_classes=200, in_channels=512),
    head_mix_k=dict(num_classes=200, in_channels=512))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='GroupCosineAnnealingLR', eta_min=0.,
         group_eta_min=dict(mixer=5e-4), by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.99999),
    # clean BN statistics of the momentum encoder before every
    # evaluation and checkpoint (docs/algorithm.md, "BN statistics")
    dict(type='PreciseBNHook', num_samples=1024, interval=1,
         priority='ABOVE_NORMAL'),
    dict(type='MaskLossAnnealHook', min_weight=0.),
]
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=5e-4),
    paramwise_cfg=dict(mixer=dict(lr=0.01, momentum=0.9)))
train_cfg = dict(max_epochs=200)
