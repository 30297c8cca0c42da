# SAMix, DeiT-S (patch 16, CIFAR images resized to 224 px) on CIFAR-100,
# 200 epochs, 1 GPU x 100: the original code's values
# (deit_s_l6_a2_near_val_dp01_sz224_mlr1e_4_bs100_ep200): AdamW lr 7.5e-4
# for all parameters (the Mixer included), warmed up over 20 epochs, cosine
# to 1e-4, wd 0.05 (none on norms, biases, class token and position
# embedding), gradient norm clipped at 20, drop path 0.1, label smoothing
# 0.1, RandAugment, momentum 0.999 -> 0.99996, mask-loss weight 0.1 -> 0.
# The Mixer reads layer 6 of 12 as a 14x14 map (_base_/models/
# samix_deit-small.py). Reference top-1 (original implementation, 200
# epochs): 77.94 (AutoMix 76.24; vanilla 65.81, Mixup 69.98, CutMix 74.12).
# The original's momentum ramp starts at 25 % of training,
# SAMixMomentumHook's at 10 %.
_base_ = [
    '../_base_/models/samix_deit-small.py',
    '../_base_/datasets/cifar100_sz224-randaug_bs100.py',
    '../_base_/schedules/adamw_warmup-coslr_cifar-vit.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(
    optimizer=dict(lr=7.5e-4),
    paramwise_cfg=dict(custom_keys={
        '.cls_token': dict(decay_mult=0.),
        '.pos_embed': dict(decay_mult=0.),
    }))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
# no PreciseBNHook: the backbone has LayerNorms only, without running
# statistics
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.99996),
    dict(type='MaskLossAnnealHook', min_weight=0.),
]
