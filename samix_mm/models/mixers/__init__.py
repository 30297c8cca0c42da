# Copyright (c) samix_mm contributors. All rights reserved.
from .mixer_ops import (adjust_mask_area, check_lam_margin, constant_mask,
                        in_lam_margin, rescale_lam)
from .pixel_mixer import PixelMixer

__all__ = [
    'PixelMixer', 'adjust_mask_area', 'rescale_lam', 'check_lam_margin',
    'constant_mask', 'in_lam_margin'
]
