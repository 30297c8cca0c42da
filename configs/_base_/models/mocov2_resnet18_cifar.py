# MoCo v2 baseline (mmpretrain's MoCo) with a CIFAR-stem ResNet-18: the
# encoder, neck, head and queue that samix-mocov2_resnet18_cifar.py builds on.
# mmpretrain's `momentum` is the EMA update weight: 0.001 = keep 0.999.
model = dict(
    # built in samix_mm's registries whatever the caller's default scope
    # (mmpretrain.get_model, inferencers, tools): see samix_mm/registry.py
    _scope_='samix_mm',
    type='MoCo',
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,
    backbone=dict(
        type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ),
        style='pytorch', zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck', in_channels=512, hid_channels=512,
        out_channels=128, with_avg_pool=True),
    head=dict(
        type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
        temperature=0.2),
)
