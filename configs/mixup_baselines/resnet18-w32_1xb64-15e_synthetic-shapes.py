# vanilla baseline on the built-in SyntheticShapes data, same
# (half-width) backbone, data and budget as the SAMix demo
# (configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py).
_base_ = [
    '../_base_/models/resnet18_cifar.py',
    '../_base_/datasets/synthetic_shapes_bs64.py',
    '../_base_/schedules/adamw_coslr_15e_synthetic.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(base_channels=32),
    head=dict(num_classes=10, in_channels=256))
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2))
