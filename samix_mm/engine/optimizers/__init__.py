# Copyright (c) samix_mm contributors. All rights reserved.
from .named_group_optim_wrapper_constructor import NamedGroupOptimWrapperConstructor

__all__ = ['NamedGroupOptimWrapperConstructor']
