# Copyright (c) samix_mm contributors. All rights reserved.
"""Cosine annealing of the mask-regulariser weight."""
import math

from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from samix_mm.registry import HOOKS


@HOOKS.register_module()
class MaskLossAnnealHook(Hook):
    """Anneal ``model.mask_loss.loss_weight`` by cosine, per iteration.

    The weight goes from its configured value (e.g. 0.1) at iteration 0 to
    ``min_weight`` at the last iteration, as SAMix does on ImageNet-scale
    data.

    Args:
        min_weight (float): Weight at the end of training. Defaults to 0.
    """

    priority = 'NORMAL'

    def __init__(self, min_weight: float = 0.):
        self.min_weight = min_weight
        self.base_weight = None

    def before_train(self, runner) -> None:
        model = get_ori_model(runner.model)
        if not hasattr(getattr(model, 'mask_loss', None), 'loss_weight'):
            raise TypeError('MaskLossAnnealHook needs model.mask_loss with '
                            f'a loss_weight; {type(model).__name__} has none')
        self.loss = model.mask_loss
        if self.base_weight is None:
            self.base_weight = self.loss.loss_weight

    def before_train_iter(self, runner, batch_idx: int, data_batch=None):
        progress = runner.iter / max(runner.max_iters, 1)
        self.loss.loss_weight = self.min_weight + (
            self.base_weight - self.min_weight) * (
                1 + math.cos(math.pi * progress)) / 2
