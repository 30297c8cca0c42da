# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix-C: the cluster-level loss that trains the label-free Mixer."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

from samix_mm.registry import MODELS
from .selfsup_mix_ops import MixPair


@MODELS.register_module()
class ClusterMixLoss(nn.Module):
    """Mixup cross-entropy over k-means pseudo-classes (SAMix-C).

    A linear classifier ``fc`` over ``num_clusters`` pseudo-classes sits on
    the normalised momentum keys. Its pseudo-labels come from
    :class:`ClusterPseudoLabelHook`, indexed by the dataset's
    ``sample_idx``. Two terms:

    * ``loss_clst``: CE of ``fc`` on the clean keys of view 1 (detached),
      which trains ``fc`` only.
    * ``loss_mix_mb``: ``λ·CE(fc(q), y_i) + (1 - λ)·CE(fc(q), y_π(i))`` on
      the mixed queries with the weights of ``fc`` detached, so that it
      trains only the Mixer (the reference's frozen ``head_clst_off``).

    New labels re-initialise ``fc`` (k-means numbers its clusters afresh),
    as DeepCluster does. The labels are not part of the state dict; the
    hook computes them again when training resumes.

    Args:
        in_channels (int): Dimension of the keys (the neck's output).
        num_clusters (int): Number of pseudo-classes k.
        loss_weight (float): Weight of ``loss_mix_mb``. Defaults to 1.0.
    """

    def __init__(self, in_channels: int, num_clusters: int,
                 loss_weight: float = 1.0):
        super().__init__()
        if in_channels <= 0 or num_clusters < 2:
            raise ValueError('in_channels must be > 0 and num_clusters >= 2, '
                             f'got {in_channels} and {num_clusters}')
        self.num_clusters = num_clusters
        self.loss_weight = loss_weight
        self.fc = nn.Linear(in_channels, num_clusters)
        self.pseudo_labels: Optional[torch.Tensor] = None
        self._reset_fc()

    def _reset_fc(self) -> None:
        nn.init.normal_(self.fc.weight, std=0.01)
        nn.init.zeros_(self.fc.bias)

    def set_pseudo_labels(self, labels: torch.Tensor) -> None:
        """Store new labels (one per dataset sample) and reset ``fc``.

        Args:
            labels (Tensor): ``(num_samples, )`` ints in
                ``[0, num_clusters)``.
        """
        labels = torch.as_tensor(labels, dtype=torch.long).flatten()
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= self.num_clusters):
            raise ValueError(f'pseudo-labels must be in [0, '
                             f'{self.num_clusters}), got {labels.min()}..'
                             f'{labels.max()}')
        self.pseudo_labels = labels.to(self.fc.weight.device)
        with torch.no_grad():
            self._reset_fc()

    def _lookup(self, idx: Optional[torch.Tensor]) -> torch.Tensor:
        if self.pseudo_labels is None:
            raise RuntimeError(
                'ClusterMixLoss has no pseudo-labels yet; add '
                "dict(type='ClusterPseudoLabelHook', ...) to custom_hooks")
        if idx is None:
            raise RuntimeError('ClusterMixLoss needs sample_idx in the data '
                               'samples; keep PackInputs\' default meta_keys')
        if int(idx.max()) >= self.pseudo_labels.numel():
            raise RuntimeError(
                f'sample_idx {int(idx.max())} has no pseudo-label (only '
                f'{self.pseudo_labels.numel()}); the hook must cluster the '
                'training dataset itself')
        return self.pseudo_labels.to(idx.device)[idx]

    def forward(self, query: torch.Tensor,
                pair: MixPair) -> Dict[str, torch.Tensor]:
        """Compute the two losses.

        Args:
            query (Tensor): ``(N, D)`` normalised features of the mixed
                images from the frozen momentum encoder.
            pair (MixPair): λ, clean keys and the dataset indices
                ``idx_a``/``idx_b`` of both mixed samples.

        Returns:
            dict[str, Tensor]: ``loss_mix_mb`` and ``loss_clst``.
        """
        label_a, label_b = self._lookup(pair.idx_a), self._lookup(pair.idx_b)
        loss_clst = F.cross_entropy(self.fc(pair.clean.detach().float()),
                                    label_a)
        logits = F.linear(query.float(), self.fc.weight.detach(),
                          self.fc.bias.detach())
        loss_mix = pair.lam * F.cross_entropy(logits, label_a) + \
            (1. - pair.lam) * F.cross_entropy(logits, label_b)
        return dict(loss_mix_mb=self.loss_weight * loss_mix,
                    loss_clst=loss_clst)
