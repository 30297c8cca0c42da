# Copyright (c) samix_mm contributors. All rights reserved.
from .mix_grid import (denormalize, draw_mix_grid, mask_to_grey,
                       mixed_batch_grid, normalization_of, tile, untouched)

__all__ = [
    'denormalize', 'draw_mix_grid', 'mask_to_grey', 'mixed_batch_grid',
    'normalization_of', 'tile', 'untouched'
]
