# Copyright (c) samix_mm contributors. All rights reserved.
from .samix_p import SAMixP

__all__ = ['SAMixP']
