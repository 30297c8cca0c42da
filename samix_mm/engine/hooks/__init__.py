# Copyright (c) samix_mm contributors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .cluster_pseudo_label_hook import ClusterPseudoLabelHook
from .cosine_decay import cosine_decay
from .mask_loss_anneal_hook import MaskLossAnnealHook
from .mix_loss_ramp_hook import MixLossRampHook
from .mixer_visualization_hook import MixerVisualizationHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .samix_momentum_hook import SAMixMomentumHook, cosine_momentum

__all__ = [
    'AtomicCheckpointHook', 'ClusterPseudoLabelHook', 'MaskLossAnnealHook',
    'MixLossRampHook', 'MixerVisualizationHook', 'SafeCheckpointHook',
    'SAMixMomentumHook', 'cosine_decay', 'cosine_momentum'
]
