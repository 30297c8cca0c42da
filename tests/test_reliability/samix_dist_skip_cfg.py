# The 2-process config with a NaN loss on one process in iteration 2: both
# processes must skip that step together (GuardedDistributedDataParallel).
_base_ = './samix_dist_cfg.py'
model = dict(nonfinite_loss='skip')
train_cfg = dict(max_epochs=1, val_interval=2)
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999999),
    dict(type='PoisonOnceHook', rank=1, iteration=1),
    dict(type='ReplicaDumpHook'),
]
