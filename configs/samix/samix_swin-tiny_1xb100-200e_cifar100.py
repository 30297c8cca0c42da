# SAMix, Swin-T (CIFAR images resized to 224 px) on CIFAR-100, 200 epochs,
# 1 GPU x 100: the original code's values
# (swin_t_l3_a2_near_val_dp01_sz224_mlr1e_4_bs100_ep200): AdamW lr 5e-4 for
# all parameters (the Mixer included), warmed up over 20 epochs, cosine to
# 1e-4, wd 0.05 (none on norms, biases and relative position bias tables),
# gradient norm clipped at 20, drop path 0.2, label smoothing 0.1,
# RandAugment, momentum 0.999 -> 0.99996, mask-loss weight 0.1 -> 0. The
# Mixer reads stage 3 after its patch merging, 768 channels at 7x7
# (_base_/models/samix_swin-tiny.py). Reference top-1 (original
# implementation, 200 epochs): 82.62. The original's momentum ramp starts at
# 25 % of training, SAMixMomentumHook's at 10 %.
_base_ = [
    '../_base_/models/samix_swin-tiny.py',
    '../_base_/datasets/cifar100_sz224-randaug_bs100.py',
    '../_base_/schedules/adamw_warmup-coslr_cifar-vit.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(
    optimizer=dict(lr=5e-4),
    paramwise_cfg=dict(custom_keys={
        '.absolute_pos_embed': dict(decay_mult=0.),
        '.relative_position_bias_table': dict(decay_mult=0.),
    }))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
# no PreciseBNHook: the backbone has LayerNorms only, without running
# statistics
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.99996),
    dict(type='MaskLossAnnealHook', min_weight=0.),
]
