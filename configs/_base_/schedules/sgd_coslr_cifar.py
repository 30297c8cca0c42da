# CIFAR schedule of SAMix (docs/algorithm.md#schedules): SGD 0.1 -> 0.05 by
# cosine for all parameters (Mixer included), weight decay 1e-4, 400 epochs by
# default.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0.05, by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=100)
