# Copyright (c) samix_mm contributors. All rights reserved.
"""The regulariser of the Mixer's masks."""
import torch
from torch import nn

from samix_mm.registry import MODELS


@MODELS.register_module()
class MixMaskLoss(nn.Module):
    """Keep the mask area near λ and (optionally) reward contrast.

    With ``M = mask[:, 1]`` (the partner's weight), its batch-global mean
    ``m̄`` and ``Var = mean((M - m̄)^2)`` over all N·H·W pixels:

    .. math::
        L = w \\cdot \\big(\\max(|1 - \\bar m - λ| - ε, 0)
            - β \\cdot \\mathrm{Var}\\big)

    β = 0 is AutoMix's "L1" loss, β = 2 SAMix's "L1+Variance". The total
    may be negative and is not clamped.

    Args:
        margin (float): ε, the tolerated deviation of the λ-side area from
            λ. Defaults to 0.1.
        variance_weight (float): β, weight of the variance reward.
            Defaults to 2.0.
        loss_weight (float): w, a plain attribute that hooks may anneal.
            Defaults to 0.1.

    Example:
        >>> import torch
        >>> loss = MixMaskLoss(margin=0.1, variance_weight=0.)
        >>> mask = torch.full((2, 2, 4, 4), 0.5)
        >>> round(float(loss(mask, 0.8)), 4)  # 0.1 * (0.3 - 0.1)
        0.02
    """

    def __init__(self,
                 margin: float = 0.1,
                 variance_weight: float = 2.0,
                 loss_weight: float = 0.1):
        super().__init__()
        if margin < 0 or variance_weight < 0:
            raise ValueError('margin and variance_weight must be >= 0, got '
                             f'{margin} and {variance_weight}')
        self.margin = margin
        self.variance_weight = variance_weight
        self.loss_weight = loss_weight

    def forward(self, mask: torch.Tensor, lam: float) -> torch.Tensor:
        """Compute the loss.

        Args:
            mask (Tensor): Masks of shape ``(N, 2, H, W)``; channel 1 is the
                partner's weight.
            lam (float): The λ the masks were made for, in [0, 1].

        Returns:
            Tensor: The weighted loss, a fp32 scalar.
        """
        if mask.dim() != 4 or mask.size(1) != 2:
            raise ValueError('mask must have shape (N, 2, H, W), got '
                             f'{tuple(mask.shape)}')
        if not 0. <= float(lam) <= 1.:
            raise ValueError(f'lam must be in [0, 1], got {float(lam)}')
        partner = mask[:, 1].float()
        mean = partner.mean()
        area = (1. - mean - float(lam)).abs() - self.margin
        loss = area.clamp(min=0.)
        if self.variance_weight > 0:
            loss = loss - self.variance_weight * (partner - mean).pow(2).mean()
        return self.loss_weight * loss
