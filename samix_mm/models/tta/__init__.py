# Copyright (c) samix_mm contributors. All rights reserved.
from .multi_head_score_tta import AverageMultiHeadScoreTTA

__all__ = ['AverageMultiHeadScoreTTA']
