# Linear evaluation of a pre-trained ResNet-50 (the MoCo protocol,
# docs/algorithm.md#evaluation-and-transfer): frozen backbone (all four
# stages frozen, BN in eval), GAP + Linear(2048 -> 1000), SGD lr 30, momentum
# 0.9, no weight decay, lr x0.1 at epochs 60 and 80 of 100; without the data.
# A config adds its dataset file, the converted backbone as
# model.backbone.init_cfg.checkpoint and the head's num_classes.
_base_ = [
    '../schedules/linear-eval_sgd-steplr-100e.py',
    '../default_runtime.py',
]
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(3, ),
        style='pytorch', frozen_stages=4, init_cfg=dict(type='Pretrained')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=1000, in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)))
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
