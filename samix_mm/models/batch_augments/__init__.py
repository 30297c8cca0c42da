# Copyright (c) samix_mm contributors. All rights reserved.
from .fmix import FMix
from .gridmix import GridMix
from .saliencymix import SaliencyMix
from .samix_p import SAMixP

__all__ = ['SAMixP', 'FMix', 'GridMix', 'SaliencyMix']
