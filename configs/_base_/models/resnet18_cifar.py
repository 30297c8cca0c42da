# Plain mmpretrain classifier with a CIFAR-stem ResNet-18: the baselines
# (vanilla, Mixup, CutMix, ResizeMix) set `train_cfg.augments` on it.
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=100, in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
