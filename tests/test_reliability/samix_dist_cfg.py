# The tiny SAMix config for 2 CPU processes; every process dumps its model
# (ReplicaDumpHook) so that the replicas can be compared.
_base_ = '../data/samix_tiny_synthetic.py'
custom_imports = dict(
    imports=['replica_dump_hook'],  # tests/test_reliability on PYTHONPATH
    allow_failed_imports=False)
# 64 images / (2 processes x 16) = 2 iterations per epoch
train_dataloader = dict(dataset=dict(num_samples=64))
train_cfg = dict(max_epochs=2, val_interval=2)
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999999),
    dict(type='ReplicaDumpHook'),
]
