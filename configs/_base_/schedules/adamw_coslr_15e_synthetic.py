# Short runs on the built-in SyntheticShapes data (15 epochs x 40 = 600
# iterations, batch 64): AdamW 1e-3 -> 0 by cosine for all parameters (the
# Mixer included). The CIFAR recipe (SGD 0.1 -> 0.05, 400 epochs) learns
# little in 600 iterations: measured on 2026-11-27, SAMix demo top-1 17.9 %
# (one_q) and 11.7 % (one_k) with it, 27.6 % and 23.4 % with this schedule
# and a faster momentum encoder (benchmarks/RESULTS.md).
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=15, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
