# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix-C: the cluster-level loss that trains the label-free Mixer."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

from samix_mm.registry import MODELS
from ..utils import MixPair


@MODELS.register_module()
class ClusterMixLoss(nn.Module):
    """Mixup cross-entropy over k-means pseudo-classes (SAMix-C).

    The reference's ``MoCoSAMix`` with ``main_mb_loss='CE'`` and DeepCluster
    (docs/algorithm.md, "SAMix-C"). A linear classifier ``fc`` over
    ``num_clusters`` pseudo-classes (the reference's ``head_clst``) sits on
    the **average-pooled last-stage features of the momentum encoder**
    (DeepCluster's neck is a plain GAP, not the MoCo projection).
    :class:`SAMixMoCo` passes the pooled features of the Mixer-branch
    mixtures (``feature = 'pooled'``) and, in ``pair.clean_pooled``, those
    of the clean view 1. The pseudo-labels and class weights come from
    :class:`ClusterPseudoLabelHook` (k-means of the online encoder's pooled
    features), indexed by the dataset's ``sample_idx``. With
    ``y_a = y(i)``, ``y_b = y(π(i))`` and the weighted CE below:

    * ``loss_clst``: ``CE(fc(clean), y_a)``; trains ``fc`` only.
    * ``loss_clst_mix``: ``λ·CE(fc(mix), y_a) + (1-λ)·CE(fc(mix), y_b)``;
      trains ``fc`` and, through the mixed images, the Mixer.
    * ``loss_mix_mb``: ``loss_weight`` times the same mixup CE with the
      weights of ``fc`` detached (the reference's frozen copy
      ``head_clst_off``, re-synchronised with ``head_clst`` before every
      forward, so its values are those of ``fc``); trains the Mixer only.

    Both classification terms use DeepCluster's re-weighting: with class
    weights w (``∝ count^-0.5``, summing to 1, from the hook),
    ``CE(z, y) = Σ_i w[y_i]·ce(z_i, y_i) / N``, so these terms are about
    1/k of a plain CE, as in the reference; without weights (``reweight``
    off in the hook) it is the plain mean CE. The reference sums the three
    terms into one loss; here they are logged apart (same total).

    Differences from the reference that remain, and why:

    * Empty clusters get weight 0 instead of ``(1e-10)^-0.5``, which in the
      reference dominates the normalisation and shrinks every other weight
      (and hence the loss) by orders of magnitude when a cluster is empty.
    * k-means is a torch Lloyd's k-means with k-means++ seeding and a
      deterministic seed (``seed + epoch``) instead of faiss (random
      initial centroids from a random seed): no faiss dependency, and
      resumed runs cluster identically. See :func:`kmeans`. The PCA
      whitening (:func:`pca_whiten`) drops axes of (near) zero variance,
      where faiss would divide by zero.
    * No uniform-per-cluster sampler (DeepCluster's ``unif_sampling``):
      the reference gives no SAMix-C config that would say whether it is
      on; the training data keep mmengine's sampler.
    * ``fc`` is kept when new labels arrive (the reference's default,
      ``init_params=False``); ``reset_on_relabel=True`` re-initialises it,
      as DeepCluster does. The reference's ``init_params=True`` would also
      re-initialise the Mixer, which is not offered.
    * The labels and weights are not in the state dict; the hook computes
      them again when training resumes (the reference reloads its saved
      cluster file only through an explicit ``pretrained_labels`` path).
    * Only the reference's default SAMix-C is built: DeepCluster with the
      GAP neck. Its ODC variant, ``nonlinear_neck=True``, ``auxi_mb_loss``,
      ``pre_one_loss``/``pre_mix_loss`` and ``mask_adjust='auto_label'``
      are not offered.

    Args:
        in_channels (int): Channels of the backbone's last stage (the
            pooled features).
        num_clusters (int): Number of pseudo-classes k.
        loss_weight (float): Weight of ``loss_mix_mb`` (the reference's
            ``weight_mb_main``). Defaults to 1.0.
        reset_on_relabel (bool): Re-initialise ``fc`` whenever new labels
            are set. Defaults to False.
    """

    #: What :class:`SAMixMoCo` passes as the mixed features: GAP of the
    #: momentum encoder's last stage (``'pooled'``), not the keys.
    feature = 'pooled'

    def __init__(self,
                 in_channels: int,
                 num_clusters: int,
                 loss_weight: float = 1.0,
                 reset_on_relabel: bool = False):
        super().__init__()
        if in_channels <= 0 or num_clusters < 2:
            raise ValueError('in_channels must be > 0 and num_clusters >= 2, '
                             f'got {in_channels} and {num_clusters}')
        self.in_channels = in_channels
        self.num_clusters = num_clusters
        self.loss_weight = loss_weight
        self.reset_on_relabel = reset_on_relabel
        self.fc = nn.Linear(in_channels, num_clusters)
        self.pseudo_labels: Optional[torch.Tensor] = None
        self.class_weight: Optional[torch.Tensor] = None
        self._reset_fc()

    def _reset_fc(self) -> None:
        nn.init.normal_(self.fc.weight, std=0.01)
        nn.init.zeros_(self.fc.bias)

    def set_pseudo_labels(self,
                          labels: torch.Tensor,
                          class_weight: Optional[torch.Tensor] = None) -> None:
        """Store new labels (one per dataset sample) and class weights.

        Args:
            labels (Tensor): ``(num_samples, )`` ints in
                ``[0, num_clusters)``.
            class_weight (Tensor, optional): ``(num_clusters, )`` weights of
                the classification losses; None for the plain mean CE.
        """
        labels = torch.as_tensor(labels, dtype=torch.long).flatten()
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= self.num_clusters):
            raise ValueError(f'pseudo-labels must be in [0, '
                             f'{self.num_clusters}), got {labels.min()}..'
                             f'{labels.max()}')
        if class_weight is not None:
            class_weight = torch.as_tensor(class_weight,
                                           dtype=torch.float32).flatten()
            if class_weight.numel() != self.num_clusters:
                raise ValueError(
                    f'class_weight must have {self.num_clusters} values, '
                    f'got {class_weight.numel()}')
            class_weight = class_weight.to(self.fc.weight.device)
        self.pseudo_labels = labels.to(self.fc.weight.device)
        self.class_weight = class_weight
        if self.reset_on_relabel:
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

    def _ce(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``Σ_i w[y_i]·ce_i / N`` (plain mean CE without weights)."""
        if self.class_weight is None:
            return F.cross_entropy(logits, labels)
        weight = self.class_weight.to(logits.device)[labels]
        return (F.cross_entropy(logits, labels, reduction='none') *
                weight).sum() / labels.numel()

    def _mix_ce(self, logits: torch.Tensor, label_a: torch.Tensor,
                label_b: torch.Tensor, lam: float) -> torch.Tensor:
        return lam * self._ce(logits, label_a) + \
            (1. - lam) * self._ce(logits, label_b)

    def forward(self, feat_mix: torch.Tensor,
                pair: MixPair) -> Dict[str, torch.Tensor]:
        """Compute the three losses.

        Args:
            feat_mix (Tensor): ``(N, in_channels)`` pooled last-stage
                features of the mixed images from the frozen momentum
                encoder (with gradient to the Mixer).
            pair (MixPair): λ, ``clean_pooled`` and the dataset indices
                ``idx_a``/``idx_b`` of both mixed samples.

        Returns:
            dict[str, Tensor]: ``loss_clst``, ``loss_clst_mix`` and
            ``loss_mix_mb``.
        """
        if pair.clean_pooled is None:
            raise RuntimeError('ClusterMixLoss needs pair.clean_pooled (the '
                               'pooled momentum features of view 1)')
        label_a, label_b = self._lookup(pair.idx_a), self._lookup(pair.idx_b)
        feat_mix = feat_mix.float()
        loss_clst = self._ce(self.fc(pair.clean_pooled.detach().float()),
                             label_a)
        loss_clst_mix = self._mix_ce(self.fc(feat_mix), label_a, label_b,
                                     pair.lam)
        logits_off = F.linear(feat_mix, self.fc.weight.detach(),
                              self.fc.bias.detach())
        loss_mix = self._mix_ce(logits_off, label_a, label_b, pair.lam)
        return dict(loss_clst=loss_clst, loss_clst_mix=loss_clst_mix,
                    loss_mix_mb=self.loss_weight * loss_mix)
