# TransMix baseline (arXiv 2111.09833) on the built-in SyntheticShapes
# data: the vanilla config of this folder with the micro VisionTransformer
# of configs/samix/samix_vit-micro-p4_1xb64-15e_synthetic-shapes.py (4
# layers of 64 channels, 2 heads, patch 4 at 32 px: 8x8 tokens), here with
# its class token feeding VisionTransformerClsHead. CutMix boxes
# (alpha = 1.0), label weights from the last layer's class attention on
# the kept patches, Mixup (alpha = 0.8) at 20 % of the steps, as
# deit-small_1xb100-transmix-200e_cifar100.py; not tuned for this data.
_base_ = './resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    type='TransMixClassifier',
    alpha=1.0,
    mixup_alpha=0.8,
    mixup_prob=0.2,
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch=dict(embed_dims=64, num_layers=4, num_heads=2,
                  feedforward_channels=256),
        img_size=32,
        patch_size=4,
        with_cls_token=True,
        out_type='cls_token'),
    neck=None,
    head=dict(
        _delete_=True,
        type='VisionTransformerClsHead', num_classes=10, in_channels=64,
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
