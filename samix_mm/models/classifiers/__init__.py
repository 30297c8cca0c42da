# Copyright (c) samix_mm contributors. All rights reserved.
from .manifold_mix_classifier import ManifoldMixClassifier
from .samix_classifier import SAMixClassifier

__all__ = ['SAMixClassifier', 'ManifoldMixClassifier']
