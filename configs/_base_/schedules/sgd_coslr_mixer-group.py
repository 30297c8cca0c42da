# Schedule with a Mixer parameter group of its own
# (docs/algorithm.md#schedules): one SGD optimizer; the Mixer group has its own
# lr and minimum lr. Defaults are the ImageNet-1k values: backbone 0.1 -> 0,
# Mixer 0.1 -> 1e-3.
optim_wrapper = dict(
    constructor='NamedGroupOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(mixer=dict(lr=0.1, momentum=0.9)))
param_scheduler = [
    dict(
        type='GroupCosineAnnealingLR',
        eta_min=0.,
        group_eta_min=dict(mixer=1e-3),
        by_epoch=True,
        begin=0,
        convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
