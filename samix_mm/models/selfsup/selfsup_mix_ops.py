# Copyright (c) samix_mm contributors. All rights reserved.
"""Pairing of self-supervised SAMix: the step helpers of SAMixMoCo.

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

What the Mixer loss receives (:class:`~samix_mm.models.utils.MixPair`) and
the mixed InfoNCE (:func:`~samix_mm.models.utils.mixed_infonce`) are in
:mod:`samix_mm.models.utils.mix_pair`, shared with the losses.
"""
from typing import List, Optional

import torch
from mmengine.dist import all_gather, broadcast, get_rank, get_world_size


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


def sample_indices(data_samples: Optional[List],
                   device: torch.device = None) -> Optional[torch.Tensor]:
    """Dataset indices ``sample_idx`` of the batch, or None if missing."""
    if not data_samples or any('sample_idx' not in s for s in data_samples):
        return None
    return torch.tensor([int(s.sample_idx) for s in data_samples],
                        dtype=torch.long, device=device)
