# The tiny SAMix config with every stateful piece of the training step on:
# cosine momentum, annealed mask-loss weight, λ drawn from numpy, random
# crop/flip and a validation after every checkpoint, in deterministic mode,
# for the exact-resume test.
_base_ = '../data/samix_tiny_synthetic.py'
train_dataloader = dict(dataset=dict(num_samples=32))
val_dataloader = dict(dataset=dict(num_samples=32))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=3, val_interval=1)
custom_hooks = [
    dict(type='SAMixMomentumHook', end_momentum=0.999999),
    dict(type='MaskLossAnnealHook', min_weight=0.),
]
randomness = dict(seed=0, deterministic=True)
