# Copyright (c) samix_mm contributors. All rights reserved.
"""Self-supervised SAMix on MoCo v2."""
import copy
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample
from torch import nn

from samix_mm.registry import MODELS
from ..mixers.mixer_ops import adjust_mask_area
from ..utils import (MixPair, MomentumModulesMixin, NonFiniteLossGuard,
                     check_mixer_in_channels, check_nonfinite_mode,
                     check_stage_out_indices, mixed_infonce, probe_size,
                     probing)
from .selfsup_mix_ops import (gather_batch, global_partner_index,
                              sample_indices)


def _gap(feat: torch.Tensor) -> torch.Tensor:
    """Global average pooling ``(N, C, h, w) -> (N, C)``."""
    return F.adaptive_avg_pool2d(feat, 1).flatten(1)


@MODELS.register_module()
class SAMixMoCo(NonFiniteLossGuard, MomentumModulesMixin,
                BaseSelfSupervisor):
    """SAMix with a label-free Mixer on top of MoCo v2.

    `Boosting Discriminative Visual Representation Learning with
    Scenario-Agnostic Mixup <https://arxiv.org/abs/2111.15454>`_; see
    docs/algorithm.md, "Self-supervised SAMix" and "SAMix-C". One step on
    the views ``im_q``, ``im_k``:

    1. MoCo v2: online query of ``im_q`` against the momentum key of
       ``im_k`` and the queue (``loss_moco``).
    2. The momentum encoder (shuffle-BN, no grad, each view its own
       batch) gives the stage maps and keys of both views. Two
       λ ~ Beta(α, α) (index 0 → backbone branch, 1 → Mixer branch) and
       two global permutations π pair view 1 of every sample with view 2
       of its partner; the Mixer turns the two stage maps and λ into
       masks.
    3. Backbone branch: the detached mask (area-adjusted per sample when
       ``|mean - λ| > mean_margin``) mixes the images; the online encoder
       is trained with the λ-weighted InfoNCE against the two positives
       (``loss_mix_bb``).
    4. Mixer branch: the mask with gradient mixes the images, which go
       through the frozen momentum encoder; the mask regulariser and
       ``mixer_loss`` train the Mixer. ``InstanceMixLoss`` (SAMix-I) reads
       the normalised keys of the momentum neck and reaches the Mixer
       only; ``ClusterMixLoss`` (SAMix-C) reads the average-pooled last
       stage and also trains its cluster head (see its docstring).
    5. The momentum keys of view 2 are enqueued.

    No leak: the mixed query of sample g holds view 1 of g and
    view 2 of π(g); its positives are ``key_k(g)`` and ``key_q(π(g))``, its
    negatives the queue only, which holds keys of earlier batches (enqueued
    after all losses). π is one permutation of the global batch broadcast
    from rank 0 and all partner tensors are gathered in rank order, so the
    partner's pixels, stage map and positive key are one sample's. See
    :mod:`samix_mm.models.selfsup.selfsup_mix_ops`.

    Note:
        The EMA ``θ_k ← m·θ_k + (1−m)·θ_q`` (parameters only; the momentum
        BN keeps its own statistics) is :meth:`momentum_update`, called by
        :class:`SAMixMomentumHook` after each optimizer step. That gives
        the same sequence of momentum weights as MoCo's update at the start
        of the next forward; configs must add the hook. ``momentum`` is the
        kept weight (0.999), not mmengine's ``1 - m``.

    Args:
        backbone (dict): Backbone with ``out_indices=(mask_layer, last)``.
        neck (dict): Projection neck, e.g. ``MoCoV2Neck``.
        head (dict): ``ContrastiveHead`` of the MoCo and backbone losses.
        mixer (dict): Mixer config, e.g. ``dict(type='PixelMixer', ...)``.
        mixer_loss (dict): Loss that trains the Mixer: ``InstanceMixLoss``
            (SAMix-I) or ``ClusterMixLoss`` (SAMix-C).
        mask_loss (dict): Mask regulariser. Defaults to
            ``dict(type='MixMaskLoss')``.
        queue_len (int): Number of negative keys. Defaults to 65536.
        feat_dim (int): Dimension of the keys. Defaults to 128.
        alpha (float): λ ~ Beta(alpha, alpha). Defaults to 2.0.
        momentum (float): EMA momentum m. Defaults to 0.999.
        mask_layer (int): 0-based backbone stage read by the Mixer.
            Defaults to 2.
        mean_margin (float): Rescale a backbone mask's λ-side area to λ
            when its mean is further than this from λ; >= 1 disables it.
            Defaults to 0.1.
        mix_bb_weight (float): Weight of ``loss_mix_bb``. 0 skips the
            backbone branch: MoCo v2 plus a Mixer that never reaches the
            encoder (the control of the SSL benchmark). Defaults to 1.0.
        nonfinite_loss (str): What a NaN or Inf loss term does: ``'raise'``
            stops with a ``FloatingPointError`` naming the term and the
            iteration; ``'skip'`` logs a warning and skips the step (no
            optimizer or EMA update; BN statistics and the queue restored).
            All processes agree. Defaults to 'raise'.
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 mixer: dict,
                 mixer_loss: dict,
                 mask_loss: dict = dict(type='MixMaskLoss'),
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 alpha: float = 2.0,
                 momentum: float = 0.999,
                 mask_layer: int = 2,
                 mean_margin: float = 0.1,
                 mix_bb_weight: float = 1.0,
                 nonfinite_loss: str = 'raise',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        check_stage_out_indices(backbone, mask_layer)
        if alpha <= 0 or queue_len <= 0 or feat_dim <= 0:
            raise ValueError('alpha, queue_len and feat_dim must be > 0, got '
                             f'{alpha}, {queue_len}, {feat_dim}')
        if not 0 <= momentum <= 1 or mean_margin < 0:
            raise ValueError(f'momentum must be in [0, 1] and mean_margin >= '
                             f'0, got {momentum} and {mean_margin}')
        if mix_bb_weight < 0:
            raise ValueError(
                f'mix_bb_weight must be >= 0, got {mix_bb_weight}')
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.alpha = alpha
        self.momentum = momentum
        self.base_momentum = momentum
        self.mask_layer = mask_layer
        self.mean_margin = mean_margin
        self.mix_bb_weight = mix_bb_weight
        self.nonfinite_loss = check_nonfinite_mode(nonfinite_loss)
        self.step_skipped = False
        self.mixer = MODELS.build(mixer)
        self.mixer_loss = MODELS.build(mixer_loss)
        self.mask_loss = MODELS.build(mask_loss)
        # momentum copies: trained by EMA only, never by gradient
        self.backbone_k = copy.deepcopy(self.backbone)
        self.neck_k = copy.deepcopy(self.neck)
        self._freeze_momentum_modules()
        self.queue_len = queue_len
        self.register_buffer(
            'queue', F.normalize(torch.randn(feat_dim, queue_len), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self._pooled_mixer_loss = getattr(self.mixer_loss, 'feature',
                                          'key') == 'pooled'
        self._check_shapes(feat_dim)

    def _momentum_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        return [(self.backbone, self.backbone_k), (self.neck, self.neck_k)]

    def _check_shapes(self, feat_dim: int) -> None:
        """Fail at build time if the Mixer or the neck do not fit."""
        with probing(self):
            stage, last = self.backbone(
                torch.zeros(2, 3, *probe_size(self.backbone)))
            out = self.neck((last, ))[0]
        check_mixer_in_channels(stage, self.mixer, self.mask_layer)
        if out.size(1) != feat_dim:
            raise ValueError(f'the neck gives {out.size(1)}-d features but '
                             f'feat_dim={feat_dim}; set the neck\'s '
                             f'out_channels and feat_dim to the same value')
        need = getattr(self.mixer_loss, 'in_channels', None)
        if self._pooled_mixer_loss and need != last.size(1):
            raise ValueError(
                f'{type(self.mixer_loss).__name__} reads the pooled last '
                f'stage ({last.size(1)} channels) but has in_channels='
                f'{need}; set model.mixer_loss.in_channels={last.size(1)}')

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys: torch.Tensor) -> None:
        """Write the keys of all processes at the pointer (FIFO, wraps)."""
        keys = gather_batch(keys)[-self.queue_len:]
        ptr, num = int(self.queue_ptr), keys.size(0)
        cols = (ptr + torch.arange(num, device=keys.device)) % self.queue_len
        self.queue[:, cols] = keys.t().to(self.queue.dtype)
        self.queue_ptr[0] = (ptr + num) % self.queue_len

    @torch.no_grad()
    def _momentum_view(self,
                       images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Momentum-encoder pass of one view on its own, with shuffle-BN.

        Each view is its own BN batch, so the key of view 2 is computed
        exactly as MoCo v2 computes its key (one pass of both views as a
        batch of 2N normalises with statistics of both views and made the
        ``mix_bb_weight=0`` control train differently from MoCo v2).

        Returns:
            tuple: the stage map, the normalised key and the average-pooled
            last stage of ``images``.
        """
        images, unshuffle = batch_shuffle_ddp(images)
        stage, last = self.backbone_k(images)
        key = F.normalize(self.neck_k((last, ))[0], dim=1)
        return tuple(
            batch_unshuffle_ddp(t, unshuffle) for t in (stage, key,
                                                        _gap(last)))

    @torch.no_grad()
    def cluster_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Average-pooled last stage of the ONLINE encoder ``(N, C)``.

        What :class:`ClusterPseudoLabelHook` clusters (the reference
        extracts with its online encoder and DeepCluster's GAP neck).
        """
        return _gap(self.backbone(inputs)[-1])

    def _backbone_mask(self, mask: torch.Tensor, lam: float) -> torch.Tensor:
        """Rescale masks whose λ-side mean is off by more than the margin."""
        far = (mask[:, 0].mean(dim=(1, 2)) - lam).abs() > self.mean_margin
        return torch.where(far[:, None, None, None],
                           adjust_mask_area(mask, lam), mask)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The SAMix losses of one step (see the class docstring).

        Args:
            inputs (list[Tensor]): Two views, each ``(N, 3, H, W)``.
            data_samples (list[DataSample]): With ``sample_idx`` for
                SAMix-C.

        Returns:
            dict[str, Tensor]: ``loss_moco``, ``loss_mix_bb`` (unless
            ``mix_bb_weight`` is 0), ``loss_mix_mb``, ``loss_mask`` (and
            ``loss_clst``, ``loss_clst_mix`` for SAMix-C).
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('SAMixMoCo needs two views per image; use '
                             "dict(type='MultiView', num_views=2, ...) in "
                             'the train pipeline')
        im_q, im_k = inputs
        num, size = im_q.size(0), tuple(im_q.shape[-2:])
        lam_bb, lam_mb = (float(v) for v in np.random.beta(
            self.alpha, self.alpha, size=2))
        queue = self.queue.clone().detach()

        # 1. MoCo v2 and the momentum pass
        query = F.normalize(self.neck(self.backbone(im_q)[-1:])[0], dim=1)
        feat_q, key_q, pooled_q = self._momentum_view(im_q)
        feat_k, key_k, _ = self._momentum_view(im_k)
        losses = dict(loss_moco=self.head.loss(
            (query * key_k).sum(1, keepdim=True), query @ queue))

        # 2. global partners: view 2 of π(i); keys of view 1 of π(i)
        im_all, feat_all, key_q_all = (gather_batch(t)
                                       for t in (im_k, feat_k, key_q))
        ids = sample_indices(data_samples, im_q.device)
        ids_all = gather_batch(ids) if ids is not None else None
        idx_bb = global_partner_index(num, im_q.device)
        idx_mb = global_partner_index(num, im_q.device)
        mask_mb = self.mixer(feat_q, feat_all[idx_mb], lam_mb, size)

        # 3. backbone branch: online encoder on detached-mask mixtures
        if self.mix_bb_weight > 0:
            with torch.no_grad():
                mask_bb = self._backbone_mask(
                    self.mixer(feat_q, feat_all[idx_bb], lam_bb, size),
                    lam_bb)
            x_bb = im_q * mask_bb[:, :1] + im_all[idx_bb] * mask_bb[:, 1:]
            q_bb = F.normalize(self.neck(self.backbone(x_bb)[-1:])[0], dim=1)
            losses['loss_mix_bb'] = self.mix_bb_weight * mixed_infonce(
                self.head, q_bb, key_k, key_q_all[idx_bb], queue, lam_bb)

        # 4. Mixer branch: frozen momentum encoder, gradient to the mask
        x_mb = im_q * mask_mb[:, :1] + im_all[idx_mb] * mask_mb[:, 1:]
        last_mb = self.backbone_k(x_mb)[-1]
        if self._pooled_mixer_loss:  # SAMix-C: GAP features
            q_mb = _gap(last_mb)
        else:  # SAMix-I: normalised keys of the momentum neck
            q_mb = F.normalize(self.neck_k((last_mb, ))[0], dim=1)
        pair = MixPair(lam_mb, key_k, key_q_all[idx_mb], queue, key_q, ids,
                       ids_all[idx_mb] if ids is not None else None,
                       pooled_q)
        losses.update(self.mixer_loss(q_mb, pair))
        losses['loss_mask'] = self.mask_loss(mask_mb, lam_mb)

        # 5. enqueue after every loss: the queue never holds current keys
        self._dequeue_and_enqueue(key_k)
        return losses
