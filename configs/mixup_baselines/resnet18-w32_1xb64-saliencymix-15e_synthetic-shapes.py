# SaliencyMix baseline on the built-in SyntheticShapes data: the CutMix
# config of this folder (same half-width backbone, data, budget and alpha)
# with SaliencyMix (samix_mm.models.batch_augments.SaliencyMix) as the
# batch augment.
_base_ = './resnet18-w32_1xb64-cutmix-15e_synthetic-shapes.py'
model = dict(
    train_cfg=dict(augments=dict(
        _delete_=True, type='SaliencyMix', alpha=0.2)))
