# SAMix-C (cluster-level Mixer loss, docs/algorithm.md "SAMix-C") on the
# built-in SyntheticShapes data: the SAMix-I demo with the Mixer trained on
# DeepCluster pseudo-labels (k-means of the online encoder's pooled
# features, PCA-whitened, inverse-frequency loss weights) through a cluster
# head on the momentum encoder's pooled last stage (256 channels at width
# 32), re-clustered every 2 epochs (k = 10, the number of shape classes;
# the reference's k and interval are UNKNOWN).
_base_ = './samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py'
model = dict(
    mixer_loss=dict(
        _delete_=True, type='ClusterMixLoss', in_channels=256,
        num_clusters=10, loss_weight=1.0, reset_on_relabel=False))
custom_hooks = [
    dict(type='SAMixMomentumHook'),
    dict(
        type='ClusterPseudoLabelHook',
        interval=2,
        pca_dim=256,
        reweight=True,
        reweight_pow=0.5,
        # the training images with a deterministic pipeline
        dataloader=dict(
            batch_size=128,
            num_workers=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            dataset=dict(
                type='SyntheticShapes', num_samples=2500, num_classes=10,
                img_size=32, seed=0, pipeline=[dict(type='PackInputs')]))),
]
