# Copyright (c) samix_mm contributors. All rights reserved.
from .manifold_mix_classifier import ManifoldMixClassifier
from .puzzle_mix_classifier import PuzzleMixClassifier
from .samix_classifier import SAMixClassifier
from .trans_mix_classifier import TransMixClassifier

__all__ = [
    'SAMixClassifier', 'ManifoldMixClassifier', 'TransMixClassifier',
    'PuzzleMixClassifier'
]
