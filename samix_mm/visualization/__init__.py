# Copyright (c) samix_mm contributors. All rights reserved.
from .mix_grid import (cell_box, cell_size_of, class_names, denormalize,
                       draw_mix_grid, gt_labels, has_mixer, mix_batch,
                       mixed_batch_grid, mixer_display, normalization_of,
                       picture_size, row_titles, untouched, write_picture)

__all__ = [
    'cell_box', 'cell_size_of', 'class_names', 'denormalize',
    'draw_mix_grid', 'gt_labels', 'has_mixer', 'mix_batch',
    'mixed_batch_grid', 'mixer_display',
    'normalization_of', 'picture_size', 'row_titles', 'untouched',
    'write_picture'
]
