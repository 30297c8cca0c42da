# SAMix-C (cluster-level Mixer loss, docs/algorithm.md "SAMix-C") on
# ImageNet-1k: the SAMix-I config with the Mixer trained on DeepCluster
# pseudo-labels of the online encoder through a cluster head on the
# momentum encoder's pooled last stage (2048 channels). UNKNOWN: k and the
# re-clustering interval of the reference; k = 1000 (the classes) and every
# 5 epochs (extracting 1.28M features costs about a fifth of an epoch) are
# our choice.
_base_ = './samix-mocov2_resnet50_4xb64-200e_in1k.py'
model = dict(
    mixer_loss=dict(
        _delete_=True, type='ClusterMixLoss', in_channels=2048,
        num_clusters=1000, loss_weight=1.0))
custom_hooks = [
    dict(type='SAMixMomentumHook'),
    dict(
        type='ClusterPseudoLabelHook',
        interval=5,
        # the training images with a deterministic pipeline
        dataloader=dict(
            batch_size=256,
            num_workers=8,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            dataset=dict(
                type='ImageNet', data_root={{_base_.data_root}}, split='train',
                pipeline=[
                    dict(type='LoadImageChecked'),
                    dict(type='ResizeEdge', scale=256, edge='short',
                         backend='pillow', interpolation='bicubic'),
                    dict(type='CenterCrop', crop_size=224),
                    dict(type='PackInputs'),
                ]))),
]
