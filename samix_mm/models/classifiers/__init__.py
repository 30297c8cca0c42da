# Copyright (c) samix_mm contributors. All rights reserved.
from .samix_classifier import SAMixClassifier

__all__ = ['SAMixClassifier']
