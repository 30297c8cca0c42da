# Copyright (c) samix_mm contributors. All rights reserved.
from .mixer_ops import adjust_mask_area, rescale_lam
from .pixel_mixer import PixelMixer

__all__ = ['PixelMixer', 'adjust_mask_area', 'rescale_lam']
