# MoCo v2 pre-training schedule (mmpretrain's mocov2 ImageNet recipe): SGD
# lr 0.03 for a total batch of 256, momentum 0.9, weight decay 1e-4, cosine
# to 0 over 200 epochs; one parameter group (the Mixer included: its own
# SSL lr is UNKNOWN). No validation during pre-training.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    # ends at train_cfg.max_epochs (the runner's default `end`)
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
auto_scale_lr = dict(base_batch_size=256)
