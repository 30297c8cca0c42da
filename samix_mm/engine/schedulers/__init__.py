# Copyright (c) samix_mm contributors. All rights reserved.
from .group_cosine_annealing_lr import GroupCosineAnnealingLR

__all__ = ['GroupCosineAnnealingLR']
