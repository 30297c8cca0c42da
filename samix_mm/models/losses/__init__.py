# Copyright (c) samix_mm contributors. All rights reserved.
from .cluster_mix_loss import ClusterMixLoss
from .instance_mix_loss import InstanceMixLoss
from .mix_mask_loss import MixMaskLoss
from .samix_loss import SAMixLoss

__all__ = ['ClusterMixLoss', 'InstanceMixLoss', 'MixMaskLoss', 'SAMixLoss']
