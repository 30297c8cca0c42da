# cutmix baseline on the built-in SyntheticShapes data, same
# (half-width) backbone, data and budget as the SAMix demo
# (configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py).
# The mixup config of this folder with CutMix as the batch augment.
_base_ = './resnet18-w32_1xb64-mixup-15e_synthetic-shapes.py'
model = dict(
    train_cfg=dict(augments=dict(_delete_=True, type='CutMix', alpha=0.2)))
