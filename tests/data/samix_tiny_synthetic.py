# A small, fast SAMix config for the tool tests: the demo config with a
# narrow ResNet-18 and a few hundred generated images.
_base_ = '../../configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    backbone=dict(base_channels=16),
    mixer=dict(in_channels=64, value_neck_cfg=dict(hidden_channels=32)),
    head_one=dict(in_channels=128),
    head_mix=dict(in_channels=128),
    head_mix_k=dict(in_channels=128))
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(num_samples=160))
val_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(num_samples=64))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=3))
