# Copyright (c) samix_mm contributors. All rights reserved.
"""Momentum schedule and EMA update of SAMix's momentum encoder."""
from typing import Optional

from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from samix_mm.registry import HOOKS
from .cosine_decay import cosine_decay

#: Fraction of training kept at the base momentum before the cosine ramp
#: of :func:`cosine_momentum` (0.1, as in the reference SAMix schedule).
START_RATIO = 0.1


def cosine_momentum(base: float, end: float, cur_iter: int,
                    max_iters: int) -> float:
    """Momentum at iteration ``cur_iter`` (SAMix's cosine schedule).

    Constant ``base`` for the first :data:`START_RATIO` (0.1) of training,
    then ``end - (end - base) * (cos(pi * t / T) + 1) / 2``. The cosine
    uses ``t / T`` (not the time since the start of the ramp), as the
    reference schedule does, so there is a small jump at
    ``START_RATIO * T``.

    Args:
        base (float): Base momentum m0.
        end (float): Final momentum.
        cur_iter (int): Current iteration t (0-based).
        max_iters (int): Total iterations T.

    Returns:
        float: The momentum m.
    """
    if cur_iter < START_RATIO * max_iters:
        return base
    return end - (end - base) * cosine_decay(cur_iter, max_iters)


@HOOKS.register_module()
class SAMixMomentumHook(Hook):
    """Schedule the momentum and update the momentum encoder after each step.

    Before each training iteration the model's ``momentum`` is set by
    :func:`cosine_momentum` (the base momentum for the first
    :data:`START_RATIO` of training, then a cosine to ``end_momentum``);
    after the optimizer step the model's ``momentum_update()`` moves the
    momentum encoder and heads towards the online ones (parameters only).

    Note:
        ``momentum`` is the weight kept by the EMA encoder
        (``θ_k ← m·θ_k + (1−m)·θ_q``, m ≈ 0.999), the opposite of mmengine's
        ``ExponentialMovingAverage.momentum``.

    Args:
        end_momentum (float, optional): Final momentum; None keeps the
            model's base momentum all along. Defaults to None.
    """

    priority = 'NORMAL'

    def __init__(self, end_momentum: Optional[float] = None):
        if end_momentum is not None and not 0 <= end_momentum <= 1:
            raise ValueError(
                f'end_momentum must be in [0, 1], got {end_momentum}')
        self.end_momentum = end_momentum

    @staticmethod
    def _model(runner):
        model = get_ori_model(runner.model)
        for attr in ('momentum', 'base_momentum', 'momentum_update'):
            if not hasattr(model, attr):
                raise TypeError(f'SAMixMomentumHook needs a model with '
                                f'`{attr}`; {type(model).__name__} has none')
        return model

    def before_train_iter(self, runner, batch_idx: int, data_batch=None):
        model = self._model(runner)
        if self.end_momentum is None:
            return
        model.momentum = cosine_momentum(model.base_momentum,
                                         self.end_momentum, runner.iter,
                                         runner.max_iters)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None):
        self._model(runner).momentum_update()
