# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix-I: the instance-level loss that trains the label-free Mixer."""
from typing import Dict

import torch
from mmpretrain.models.heads import ContrastiveHead
from torch import nn

from samix_mm.registry import MODELS
from ..utils import MixPair, mixed_infonce


@MODELS.register_module()
class InstanceMixLoss(nn.Module):
    """λ-weighted InfoNCE of mixed queries against their two positives.

    The Mixer loss of SAMix-I (``main_mb_loss='infoNCE'`` in the
    reference): a mixed query of sample i (weight λ) and partner π(i)
    should match the other view of i with weight λ and the other view of
    π(i) with weight 1 - λ, against the queue as negatives:

    .. math::
        L = λ \\cdot \\mathrm{NCE}(q, k_a, Q) + (1 - λ) \\cdot
            \\mathrm{NCE}(q, k_b, Q)

    Args:
        temperature (float): InfoNCE temperature. Defaults to 0.2.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> import torch
        >>> import torch.nn.functional as F
        >>> from samix_mm.models.utils import MixPair
        >>> keys = F.normalize(torch.randn(4, 8), dim=1)
        >>> queue = F.normalize(torch.randn(8, 16), dim=0)
        >>> pair = MixPair(0.7, keys, keys.flip(0), queue, keys)
        >>> loss = InstanceMixLoss()(keys, pair)['loss_mix_mb']
        >>> loss.shape
        torch.Size([])
    """

    #: What :class:`SAMixMoCo` passes as the mixed features: the
    #: normalised momentum keys (``'key'``).
    feature = 'key'

    def __init__(self, temperature: float = 0.2, loss_weight: float = 1.0):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.head = ContrastiveHead(
            loss=dict(type='CrossEntropyLoss', loss_weight=loss_weight),
            temperature=temperature)

    def forward(self, query: torch.Tensor,
                pair: MixPair) -> Dict[str, torch.Tensor]:
        """Compute the loss.

        Args:
            query (Tensor): ``(N, D)`` normalised features of the mixed
                images from the frozen momentum encoder.
            pair (MixPair): Positives ``key_a``/``key_b``, queue and λ.

        Returns:
            dict[str, Tensor]: ``loss_mix_mb``.
        """
        return dict(loss_mix_mb=mixed_infonce(
            self.head, query, pair.key_a, pair.key_b, pair.queue, pair.lam))
