# Copyright (c) samix_mm contributors. All rights reserved.
from .cluster_mix_loss import ClusterMixLoss
from .cluster_ops import inverse_frequency_weights, kmeans, pca_whiten
from .instance_mix_loss import InstanceMixLoss
from .samix_moco import SAMixMoCo
from .selfsup_mix_ops import (MixPair, gather_batch, global_partner_index,
                              mixed_infonce)

__all__ = [
    'SAMixMoCo', 'InstanceMixLoss', 'ClusterMixLoss', 'MixPair',
    'gather_batch', 'global_partner_index', 'mixed_infonce', 'kmeans',
    'pca_whiten', 'inverse_frequency_weights'
]
