# Copyright (c) samix_mm contributors. All rights reserved.
from .multi_head_accuracy import MultiHeadAccuracy

__all__ = ['MultiHeadAccuracy']
