# Copyright (c) samix_mm contributors. All rights reserved.
"""Cosine annealing of the mask-regulariser weight."""
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from samix_mm.registry import HOOKS
from .cosine_decay import cosine_decay


@HOOKS.register_module()
class MaskLossAnnealHook(Hook):
    """Anneal ``model.mask_loss.loss_weight`` by cosine, per iteration.

    The weight goes from its configured value (e.g. 0.1) at iteration 0 to
    ``min_weight`` at the last iteration, as SAMix does on ImageNet-scale
    data. The base value is read once: a resumed run (a second
    ``before_train``) keeps annealing from the configured weight. (This is
    why it is not built on mmpretrain's ``WarmupParamHook``, which ramps
    linearly up from 0 by epochs and re-reads its base at every
    ``before_train``.)

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
        self.loss.loss_weight = self.min_weight + (
            self.base_weight - self.min_weight) * cosine_decay(
                runner.iter, runner.max_iters)
