# Copyright (c) samix_mm contributors. All rights reserved.
from .mask_loss_anneal_hook import MaskLossAnnealHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .samix_momentum_hook import SAMixMomentumHook, cosine_momentum

__all__ = [
    'MaskLossAnnealHook', 'SafeCheckpointHook', 'SAMixMomentumHook',
    'cosine_momentum'
]
