# TransMix baseline (arXiv 2111.09833) with DeiT-S (patch 16, CIFAR images
# resized to 224 px) on CIFAR-100, 200 epochs, 1 GPU x 100: the data and
# AdamW schedule of the SAMix DeiT-S configs (lr 1e-3 warmed up over 20
# epochs, cosine to 1e-4, wd 0.05, none on norms, biases, class token and
# position embedding, gradient norm clipped at 20, drop path 0.1,
# RandAugment). samix_mm's TransMixClassifier: CutMix boxes
# (alpha = 1.0), the label weight of each image from the last layer's class
# attention on its kept patches, or with probability 0.2 a plain Mixup
# step (alpha = 0.8): the switch of the reference table's TransMix setting
# (the TransMix paper's ImageNet recipe switches with 0.5). The class token
# feeds mmpretrain's VisionTransformerClsHead; soft cross-entropy, no label
# smoothing. Reference top-1 (original SAMix/OpenMixup table, DeiT-S,
# CIFAR-100, 200 epochs): TransMix 76.17.
_base_ = [
    '../_base_/datasets/cifar100_sz224-randaug_bs100.py',
    '../_base_/schedules/adamw_warmup-coslr_cifar-vit.py',
    '../_base_/default_runtime.py',
]
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='TransMixClassifier',
    alpha=1.0,
    mixup_alpha=0.8,
    mixup_prob=0.2,
    backbone=dict(
        type='VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        with_cls_token=True,
        out_type='cls_token',
        drop_path_rate=0.1,
        # mmpretrain's DeiT init, as _base_/models/samix_deit-small.py
        init_cfg=[
            dict(type='Kaiming', layer='Conv2d', mode='fan_in',
                 nonlinearity='linear'),
            dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead', num_classes=100, in_channels=384,
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02)))
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(custom_keys={
        '.cls_token': dict(decay_mult=0.),
        '.pos_embed': dict(decay_mult=0.),
    }))
