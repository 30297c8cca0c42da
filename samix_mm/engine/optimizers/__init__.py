# Copyright (c) samix_mm contributors. All rights reserved.
from .group_cosine_annealing_lr import GroupCosineAnnealingLR
from .named_group_optim_wrapper_constructor import NamedGroupOptimWrapperConstructor

__all__ = ['GroupCosineAnnealingLR', 'NamedGroupOptimWrapperConstructor']
