# SAMix-C (cluster-level Mixer loss, docs/algorithm.md "SAMix-C") on
# Tiny-ImageNet: the SAMix-I config with the Mixer trained on DeepCluster
# pseudo-labels of the online encoder through a cluster head on the
# momentum encoder's pooled last stage (512 channels). UNKNOWN: k and the
# re-clustering interval of the reference; k = 200 (the classes) and every
# epoch (DeepCluster's interval) are our choice.
_base_ = './samix-mocov2_resnet18_4xb64-400e_tiny-in.py'
model = dict(
    mixer_loss=dict(
        _delete_=True, type='ClusterMixLoss', in_channels=512,
        num_clusters=200, loss_weight=1.0))
custom_hooks = [
    dict(type='SAMixMomentumHook'),
    dict(
        type='ClusterPseudoLabelHook',
        interval=1,
        # the training images with a deterministic pipeline
        dataloader=dict(
            batch_size=256,
            num_workers=8,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            dataset=dict(
                type='TinyImageNet', data_root={{_base_.data_root}},
                split='train',
                pipeline=[
                    dict(type='LoadImageChecked'),
                    dict(type='PackInputs'),
                ]))),
]
