# Copyright (c) samix_mm contributors. All rights reserved.
"""What a self-supervised Mixer loss receives, and the mixed InfoNCE.

:class:`MixPair` is what :class:`~samix_mm.models.selfsup.SAMixMoCo` hands
to its ``mixer_loss`` (:class:`~samix_mm.models.losses.InstanceMixLoss`,
:class:`~samix_mm.models.losses.ClusterMixLoss`); :func:`mixed_infonce` is
the λ-weighted InfoNCE of SAMixMoCo's backbone branch and of
``InstanceMixLoss``. How the partners are drawn, and why no positive can
leak into the negatives: :mod:`samix_mm.models.selfsup.selfsup_mix_ops`.
"""
from typing import NamedTuple, Optional

import torch
from torch import nn


class MixPair(NamedTuple):
    """What a Mixer loss may need about a batch of mixed queries.

    Row i is the local sample i mixed with its global partner π(i).

    Attributes:
        lam (float): Weight λ of the local sample in the mixed image.
        key_a (Tensor): ``(N, D)`` normalised momentum key of the other view
            of sample i (view 2), the positive of the λ part.
        key_b (Tensor): ``(N, D)`` normalised momentum key of the other view
            of the partner (view 1 of π(i)), the positive of the 1 - λ part.
        queue (Tensor): ``(D, K)`` keys of earlier batches, the negatives.
        clean (Tensor): ``(N, D)`` normalised momentum key of view 1 of
            sample i (no gradient).
        idx_a (Tensor, optional): ``(N, )`` dataset index of sample i.
        idx_b (Tensor, optional): ``(N, )`` dataset index of π(i).
        clean_pooled (Tensor, optional): ``(N, C)`` average-pooled
            last-stage momentum features of view 1 of sample i (no
            gradient), the clean input of SAMix-C's cluster head.
    """
    lam: float
    key_a: torch.Tensor
    key_b: torch.Tensor
    queue: torch.Tensor
    clean: torch.Tensor
    idx_a: Optional[torch.Tensor] = None
    idx_b: Optional[torch.Tensor] = None
    clean_pooled: Optional[torch.Tensor] = None


def mixed_infonce(head: nn.Module, query: torch.Tensor, key_a: torch.Tensor,
                  key_b: torch.Tensor, queue: torch.Tensor,
                  lam: float) -> torch.Tensor:
    """λ-weighted InfoNCE of mixed queries against their two positives.

    ``λ · NCE(q·key_a, q·queue) + (1 - λ) · NCE(q·key_b, q·queue)``.

    Args:
        head (nn.Module): A ``ContrastiveHead`` (temperature + CE).
        query (Tensor): ``(N, D)`` normalised mixed queries.
        key_a (Tensor): ``(N, D)`` positives of the λ part.
        key_b (Tensor): ``(N, D)`` positives of the 1 - λ part.
        queue (Tensor): ``(D, K)`` negatives (keys of earlier batches).
        lam (float): The mixing ratio λ.

    Returns:
        Tensor: The scalar loss.
    """
    query = query.float()
    neg = query @ queue.detach().float()
    pos_a = (query * key_a.float()).sum(1, keepdim=True)
    pos_b = (query * key_b.float()).sum(1, keepdim=True)
    return lam * head.loss(pos_a, neg) + (1. - lam) * head.loss(pos_b, neg)
