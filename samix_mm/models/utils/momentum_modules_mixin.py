# Copyright (c) samix_mm contributors. All rights reserved.
"""Online modules with momentum (EMA) copies, shared by the SAMix models."""
from typing import List, Tuple

import torch
from torch import nn

from .momentum_ops import (copy_online_to_momentum_, loads_whole_model,
                           momentum_update_)


class MomentumModulesMixin:
    """Momentum copies that start as the online modules and follow them by
    EMA, never by gradient.

    The model lists its ``(online, momentum)`` pairs in
    :meth:`_momentum_pairs` and holds ``momentum`` (the kept weight m);
    :class:`~samix_mm.engine.hooks.SAMixMomentumHook` calls
    :meth:`momentum_update` after each optimizer step. A step skipped by
    :class:`~samix_mm.models.utils.NonFiniteLossGuard` (``step_skipped``)
    moves nothing.
    """

    momentum: float
    step_skipped: bool = False

    def _momentum_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        """(online, momentum) module pairs updated by EMA."""
        raise NotImplementedError

    def _freeze_momentum_modules(self) -> None:
        """No gradient for the momentum modules (call once they exist)."""
        for _, ema in self._momentum_pairs():
            ema.requires_grad_(False)

    def init_weights(self) -> None:
        """Initialise, then start the momentum modules as online copies.

        A model-level ``Pretrained`` ``init_cfg`` restores the momentum
        modules from its checkpoint; they are not overwritten then.
        """
        super().init_weights()
        if not loads_whole_model(self.init_cfg):
            copy_online_to_momentum_(self._momentum_pairs())

    @torch.no_grad()
    def momentum_update(self) -> None:
        """EMA of the parameters: ``θ_k ← m·θ_k + (1−m)·θ_q``.

        Buffers (BN running statistics) are not touched: a momentum encoder
        keeps the statistics of its own forwards. ``m >= 1`` freezes the
        momentum modules; a skipped step changes nothing.
        """
        if not self.step_skipped:
            momentum_update_(self._momentum_pairs(), self.momentum)
