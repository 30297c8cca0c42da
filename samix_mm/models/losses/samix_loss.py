# Copyright (c) samix_mm contributors. All rights reserved.
"""The η-balanced mixup loss that trains the SAMix Mixer."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss
from torch import nn

from samix_mm.registry import MODELS


@MODELS.register_module()
class SAMixLoss(nn.Module):
    """η-balanced mixup loss (binary cross-entropy form).

    From `Boosting Discriminative Visual Representation Learning with
    Scenario-Agnostic Mixup <https://arxiv.org/abs/2111.15454>`_: the mixed
    classes (target > 0) get the local-smoothness term, every other class
    the global-discrimination term weighted by η. With logits z, soft
    target ỹ (e.g. ``λ·e_a + (1-λ)·e_b``) and σ the sigmoid:

    .. math::
        \\ell_n = -\\sum_{c:\\,ỹ_c>0} \\big(ỹ_c \\log σ(z_c)
                  + (1-ỹ_c) \\log(1-σ(z_c))\\big)
                  - η \\sum_{c:\\,ỹ_c=0} \\log(1-σ(z_c))

    summed over classes and averaged over samples (or divided by
    ``avg_factor``). η = 1 is plain multi-label BCE; η = 0 drops the
    negatives.

    Args:
        eta (float): η, weight of the non-mixed (negative) classes.
            Defaults to 0.5.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> import torch
        >>> loss = SAMixLoss(eta=0.5)
        >>> score = torch.zeros(1, 3)
        >>> target = torch.tensor([[0.7, 0.3, 0.]])
        >>> round(float(loss(score, target)), 4)  # (2 + 0.5) * log(2)
        1.7329
    """

    def __init__(self, eta: float = 0.5, loss_weight: float = 1.0):
        super().__init__()
        if eta < 0:
            raise ValueError(f'eta must be >= 0, got {eta}')
        self.eta = eta
        self.loss_weight = loss_weight

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Compute the loss (the call signature of mmpretrain losses).

        Args:
            cls_score (Tensor): Logits of shape ``(N, C)``.
            label (Tensor): Soft targets ``(N, C)`` or class indices
                ``(N, )``.
            weight (Tensor, optional): Sample weights of shape ``(N, )``.
            avg_factor (float, optional): Divisor of the summed loss for
                ``mean`` reduction; None means N.
            reduction_override (str, optional): ``none``, ``mean`` or
                ``sum``. Defaults to ``mean``.

        Returns:
            Tensor: The loss; per sample ``(N, )`` for ``none``, else a
            scalar.
        """
        reduction = reduction_override or 'mean'
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError('reduction_override must be none, mean or sum, '
                             f'got {reduction_override}')
        score = cls_score.float()
        if label.dim() == 1:
            label = F.one_hot(label.long(), score.size(-1))
        if label.shape != score.shape:
            raise ValueError(
                f'label shape {tuple(label.shape)} does not match cls_score '
                f'{tuple(score.shape)}; give (N, C) targets or (N, ) indices')
        target = label.float()
        bce = F.binary_cross_entropy_with_logits(score,
                                                 target,
                                                 reduction='none')
        class_weight = torch.where(target > 0, torch.ones_like(target),
                                   torch.full_like(target, self.eta))
        loss = (bce * class_weight).sum(dim=-1)
        if weight is not None:
            weight = weight.float()
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss
