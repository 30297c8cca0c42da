# Linear evaluation schedule of MoCo
# (docs/algorithm.md#evaluation-and-transfer): frozen backbone, SGD lr 30,
# momentum 0.9, no weight decay, lr x0.1 at epochs 60 and 80 of 100.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
