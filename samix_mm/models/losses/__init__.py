# Copyright (c) samix_mm contributors. All rights reserved.
from .mix_mask_loss import MixMaskLoss
from .samix_loss import SAMixLoss

__all__ = ['MixMaskLoss', 'SAMixLoss']
