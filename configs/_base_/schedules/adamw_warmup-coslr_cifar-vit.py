# AdamW schedule of the original code's CIFAR-100 configs for DeiT-S, Swin-T
# and ConvNeXt-T (batch 100): weight decay 0.05 except on norms and biases,
# lr warmed up linearly from 1e-5 x lr over 20 epochs, then cosine to 1e-4
# (the Mixer included), gradient norm clipped at 20, 200 epochs by default.
# The configs set lr and their backbone's other decay-free parameters
# (paramwise_cfg.custom_keys); the momentum encoder has no gradient and is
# left alone by the optimizer.
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.),
    clip_grad=dict(max_norm=20.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-5, by_epoch=True, begin=0, end=20,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=True, begin=20,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=100)
