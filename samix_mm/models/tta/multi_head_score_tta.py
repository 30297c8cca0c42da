# Copyright (c) samix_mm contributors. All rights reserved.
"""Test-time augmentation that averages the scores of every head."""
from typing import List

import torch
from mmpretrain.models import AverageClsScoreTTA
from mmpretrain.structures import DataSample

from samix_mm.registry import MODELS


@MODELS.register_module()
class AverageMultiHeadScoreTTA(AverageClsScoreTTA):
    """mmpretrain's :class:`AverageClsScoreTTA` for multi-head models.

    The scores of the augmented views are averaged for the model's answer
    (``pred_score``, whose arg-max becomes ``pred_label``) and for every
    head's ``pred_score_<head>`` that the model stores (SAMix), so that
    :class:`MultiHeadAccuracy` reports every head under the same
    augmentation. With a single-head model it is ``AverageClsScoreTTA``
    with a consistent ``pred_label``.

    Args:
        module (dict or nn.Module): The model to wrap.
        data_preprocessor (dict, optional): Defaults to None.
    """

    def _merge_single_sample(self,
                             data_samples: List[DataSample]) -> DataSample:
        """Average every ``pred_score*`` field over the views."""
        merged = data_samples[0].new()
        fields = [k for k in merged.keys() if k.startswith('pred_score')]
        for field in fields:
            merged.set_field(
                sum(s.get(field) for s in data_samples) / len(data_samples),
                field)
        merged.set_pred_label(torch.argmax(merged.pred_score))
        return merged
