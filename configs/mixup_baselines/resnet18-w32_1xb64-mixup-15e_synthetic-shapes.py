# mixup baseline on the built-in SyntheticShapes data, same
# (half-width) backbone, data and budget as the SAMix demo
# (configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py).
# The vanilla config of this folder with mixed (soft) labels.
_base_ = './resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
