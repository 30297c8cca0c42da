# Copyright (c) samix_mm contributors. All rights reserved.
from .checkpointed_forward import checkpointed_forward
from .cluster_ops import inverse_frequency_weights, kmeans, pca_whiten
from .frozen_mixer_loader import (build_frozen_pair, check_mixer_export,
                                  load_mixer_export)
from .mix_pair import MixPair, mixed_infonce
from .mix_utils import (draw_lam_and_partners, is_positive_number,
                        mix_images, mixup_target, random_pairing)
from .momentum_ops import (copy_online_to_momentum_, loads_whole_model,
                           momentum_update_)
from .momentum_modules_mixin import MomentumModulesMixin
from .nonfinite_loss_guard import (NonFiniteLossGuard, check_nonfinite_mode,
                                   guarded_train_step)
from .puzzle_mix_ops import (apply_transport, block_saliency,
                             graphcut_masks, grid_distance, input_saliency,
                             label_prior, local_discontinuity,
                             transport_plan)
from .stage_forward import (check_classifier_parts, check_mixer_in_channels,
                            check_stage_out_indices, forward_to_stage,
                            probe_size, probing)

__all__ = [
    'mix_images', 'mixup_target', 'is_positive_number',
    'draw_lam_and_partners', 'random_pairing', 'forward_to_stage',
    'load_mixer_export', 'check_mixer_export', 'build_frozen_pair',
    'momentum_update_', 'copy_online_to_momentum_', 'loads_whole_model',
    'NonFiniteLossGuard', 'check_nonfinite_mode', 'guarded_train_step',
    'check_stage_out_indices', 'check_mixer_in_channels', 'probing',
    'probe_size',
    'check_classifier_parts',
    'MomentumModulesMixin', 'MixPair', 'mixed_infonce', 'kmeans',
    'pca_whiten', 'inverse_frequency_weights', 'checkpointed_forward',
    'input_saliency', 'block_saliency', 'local_discontinuity', 'label_prior',
    'graphcut_masks', 'grid_distance', 'transport_plan', 'apply_transport'
]
