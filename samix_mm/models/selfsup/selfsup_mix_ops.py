# Copyright (c) samix_mm contributors. All rights reserved.
"""Pairing and mixed InfoNCE of self-supervised SAMix (pure helpers).

The partner of every sample is drawn from the whole global batch (all
processes), as in the reference ``MoCoSAMix``. Why this cannot leak a
sample's own positive into its negatives:

* Global ids: process r holds samples ``g = r * N + i`` (i < N). One
  permutation π of ``range(R * N)`` is drawn on rank 0 and broadcast, so
  every process uses the same π; process r takes the rows
  ``π[r * N:(r + 1) * N]``. The partner tensors (view-2 images, view-2
  stage maps, view-1 keys, sample ids) are all gathered in rank order, so
  row ``π(g)`` of every gathered tensor belongs to the same sample.
* The mixed query of g shows view 1 of g (weight λ) and view 2 of π(g)
  (weight 1 - λ). Its positives are ``key_k(g)`` (view 2 of g) and
  ``key_q(π(g))`` (view 1 of π(g)); the pixels of the other view never
  enter the query's image, so neither positive is a copy of the input.
* Its negatives are the queue only. The queue holds keys of earlier
  batches: the current keys are enqueued after every loss of the step, so
  neither ``key_k(g)`` nor ``key_q(π(g))`` (nor any key of the current
  batch) can appear among the negatives. No in-batch negatives are used.
* π(g) = g is allowed: the query then mixes the two views of g and both
  positives belong to g, which is still correct.
"""
from typing import List, NamedTuple, Optional

import torch
from mmengine.dist import all_gather, broadcast, get_rank, get_world_size
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


@torch.no_grad()
def gather_batch(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` of every process in rank order (no grad).

    Args:
        tensor (Tensor): This process's ``(N, ...)`` tensor; N must be the
            same on every process.

    Returns:
        Tensor: ``(R * N, ...)``, rows ``r * N:(r + 1) * N`` from rank r.
    """
    return torch.cat(all_gather(tensor.contiguous()), dim=0)


@torch.no_grad()
def global_partner_index(num_local: int,
                         device: torch.device = None) -> torch.Tensor:
    """This process's rows of one permutation of the global batch.

    Args:
        num_local (int): Per-process batch size N.
        device (torch.device, optional): Device of the index.

    Returns:
        Tensor: ``(N, )`` global partner ids ``π(r * N + i)`` that index a
        :func:`gather_batch` result.
    """
    world, rank = get_world_size(), get_rank()
    perm = torch.randperm(num_local * world, device=device)
    broadcast(perm, src=0)
    return perm.view(world, num_local)[rank]


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


def sample_indices(data_samples: Optional[List],
                   device: torch.device = None) -> Optional[torch.Tensor]:
    """Dataset indices ``sample_idx`` of the batch, or None if missing."""
    if not data_samples or any('sample_idx' not in s for s in data_samples):
        return None
    return torch.tensor([int(s.sample_idx) for s in data_samples],
                        dtype=torch.long, device=device)
