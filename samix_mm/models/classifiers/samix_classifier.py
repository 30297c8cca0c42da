# Copyright (c) samix_mm contributors. All rights reserved.
"""The supervised SAMix (and AutoMix) classifier."""
import copy
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.structures import DataSample
from torch import nn

from samix_mm.registry import MODELS
from ..mixers.mixer_ops import check_lam_margin, constant_mask, in_lam_margin
from ..utils import (MomentumModulesMixin, NonFiniteLossGuard,
                     check_classifier_parts, check_nonfinite_mode,
                     check_stage_out_indices, checkpointed_forward,
                     forward_to_stage, mix_images, mixup_target,
                     random_pairing)

#: Heads that predict(), in this order; the first is the model's answer.
BRANCHES = ('one_k', 'mix_k', 'one_q', 'mix_q')


@MODELS.register_module()
class SAMixClassifier(NonFiniteLossGuard, MomentumModulesMixin,
                      BaseClassifier):
    """SAMix: a learnable Mixer trained beside the classifier.

    `Boosting Discriminative Visual Representation Learning with
    Scenario-Agnostic Mixup <https://arxiv.org/abs/2111.15454>`_.

    Every training step draws two mixing ratios and two pairings: one for
    the classifier branch (``bb``) and one for the Mixer branch (``mb``).

    1. The momentum encoder ``backbone_k`` runs up to ``mask_layer`` on the
       clean batch; the Mixer turns that map, the partner's map and λ into
       pixel-wise masks.
    2. Classifier branch: the detached ``bb`` mask mixes the batch; the
       online encoder ``backbone_q`` is trained on it with ``head_mix`` and
       on the clean batch with ``head_one``.
    3. Mixer branch: the ``mb`` mask (with gradient) mixes the batch, which
       goes through the frozen momentum encoder and ``head_mix_k``; its
       loss (the η-balanced SAMixLoss for SAMix) and the mask regulariser
       reach the Mixer only.

    The momentum encoder and its heads are never trained by gradient; a
    :class:`SAMixMomentumHook` moves them towards the online ones after each
    step (parameters only; their BN keeps its own running statistics).
    AutoMix is this class with an AutoMix Mixer config and plain mixup CE
    in ``head_mix_k``.

    Args:
        backbone (dict): Backbone config. Its ``out_indices`` must be
            ``(mask_layer, last_stage)``.
        mixer (dict): Mixer config, e.g. ``dict(type='PixelMixer', ...)``.
        head_one (dict): Head trained on clean images (plain CE).
        head_mix (dict): Head trained on the classifier's mixed images
            (mixup CE, e.g. ``CrossEntropyLoss(use_soft=True)``).
        head_mix_k (dict, optional): Head config whose loss trains the
            Mixer (``SAMixLoss`` for SAMix). Its weights follow ``head_mix``
            by EMA. Defaults to None, i.e. a copy of ``head_mix``.
        mask_loss (dict): Mask regulariser config. Defaults to
            ``dict(type='MixMaskLoss')``.
        neck (dict): Neck between backbone and heads. Defaults to
            ``dict(type='GlobalAveragePooling')``.
        alpha (float): λ ~ Beta(alpha, alpha). Defaults to 2.0.
        momentum (float): Base EMA momentum m of the momentum encoder
            (``θ_k ← m·θ_k + (1−m)·θ_q``; note mmengine's EMA uses ``1−m``).
            Defaults to 0.999.
        mask_layer (int): 0-based backbone stage read by the Mixer.
            Defaults to 2.
        lam_margin (float): If λ_bb or 1−λ_bb is at most this value the
            classifier uses a constant λ mask (vanilla mixup). Defaults to
            0.08.
        mix_no_repeat (bool): Never pair a sample with itself.
            Defaults to False.
        checkpoint_mixer_branch (bool): Recompute the Mixer branch's
            momentum-encoder activations in backward (one more forward for
            about a third of the activation memory; same updates).
            Defaults to False.
        nonfinite_loss (str): What a NaN or Inf loss term does: ``'raise'``
            stops with a ``FloatingPointError`` naming the term and the
            iteration; ``'skip'`` logs a warning and skips the step (no
            optimizer or EMA update, BN statistics restored). All processes
            agree. Defaults to 'raise'.
        data_preprocessor (dict, optional): Data preprocessor config; it must
            not carry batch augments (mixing happens here).
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 backbone: dict,
                 mixer: dict,
                 head_one: dict,
                 head_mix: dict,
                 head_mix_k: Optional[dict] = None,
                 mask_loss: dict = dict(type='MixMaskLoss'),
                 neck: dict = dict(type='GlobalAveragePooling'),
                 alpha: float = 2.0,
                 momentum: float = 0.999,
                 mask_layer: int = 2,
                 lam_margin: float = 0.08,
                 mix_no_repeat: bool = False,
                 checkpoint_mixer_branch: bool = False,
                 nonfinite_loss: str = 'raise',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = data_preprocessor or {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
            if data_preprocessor.get('batch_augments') is not None:
                raise ValueError(
                    'SAMixClassifier mixes inside the model: remove '
                    'data_preprocessor.batch_augments from the config')
        super().__init__(init_cfg=init_cfg,
                         data_preprocessor=data_preprocessor)
        if alpha <= 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        if not 0 <= momentum <= 1:
            raise ValueError(f'momentum must be in [0, 1], got {momentum}')
        check_stage_out_indices(backbone, mask_layer)
        self.alpha = alpha
        self.momentum = momentum
        self.base_momentum = momentum
        self.mask_layer = mask_layer
        self.lam_margin = check_lam_margin(lam_margin)
        self.mix_no_repeat = mix_no_repeat
        self.checkpoint_mixer_branch = checkpoint_mixer_branch
        self.nonfinite_loss = check_nonfinite_mode(nonfinite_loss)
        self.step_skipped = False

        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.mixer = MODELS.build(mixer)
        self.head_one = MODELS.build(head_one)
        self.head_mix = MODELS.build(head_mix)
        self.mask_loss = MODELS.build(mask_loss)
        # Momentum (EMA) copies: trained by EMA only, never by gradient.
        self.backbone_k = copy.deepcopy(self.backbone)
        self.head_one_k = copy.deepcopy(self.head_one)
        self.head_mix_k = MODELS.build(head_mix_k) if head_mix_k else \
            copy.deepcopy(self.head_mix)
        self._freeze_momentum_modules()
        check_classifier_parts(
            self.backbone, self.mixer, mask_layer,
            dict(head_one=self.head_one, head_mix=self.head_mix,
                 head_mix_k=self.head_mix_k))

    def _momentum_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        """(online, momentum) module pairs updated by EMA."""
        return [(self.backbone, self.backbone_k),
                (self.head_one, self.head_one_k),
                (self.head_mix, self.head_mix_k)]

    @property
    def num_classes(self) -> int:
        return self.head_one.num_classes

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor]:
        """Pooled features of the momentum encoder (the exported one).

        Args:
            inputs (Tensor): Images of shape ``(N, 3, H, W)``.

        Returns:
            tuple[Tensor]: The neck output, ``((N, C), )``.
        """
        return self._pooled(self.backbone_k, inputs)

    def _pooled(self, backbone: nn.Module,
                inputs: torch.Tensor) -> Tuple[torch.Tensor]:
        """Pooled last-stage features of ``backbone``."""
        return self.neck(backbone(inputs)[-1:])

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The four SAMix losses of one step (see the class docstring).

        Args:
            inputs (Tensor): Normalised images of shape ``(N, 3, H, W)``.
            data_samples (list[DataSample]): With ``gt_label``.

        Returns:
            dict[str, Tensor]: ``loss_mix_q``, ``loss_one_q``,
            ``loss_mix_k`` and ``loss_mask``.
        """
        labels = torch.cat([s.gt_label for s in data_samples])
        if int(labels.max()) >= self.num_classes:
            raise ValueError(
                f'label {int(labels.max())} is out of range for '
                f'num_classes={self.num_classes}; set the heads\' '
                'num_classes to the number of classes of the dataset')
        num = inputs.size(0)
        lam_mb, lam_bb = (float(v) for v in np.random.beta(
            self.alpha, self.alpha, size=2))
        idx_mb = random_pairing(num, self.mix_no_repeat, inputs.device)
        idx_bb = random_pairing(num, self.mix_no_repeat, inputs.device)

        # 1. masks from the momentum encoder's stage map; 2. the Mixer
        # branch first, so that autograd back-propagates it last, once the
        # online graphs are freed (checkpoint_mixer_branch then recomputes
        # its activations at that point only)
        with torch.no_grad():
            feat = forward_to_stage(self.backbone_k, inputs, self.mask_layer)
        mixer_losses = self.mixer_branch(inputs, feat, labels, idx_mb, lam_mb)
        with torch.no_grad():
            mask_bb = self._classifier_mask(
                self.mixer(feat, feat[idx_bb], lam_bb,
                           tuple(inputs.shape[-2:])), lam_bb)

        # 3. classifier branch: online encoder on mixed and clean images
        target_bb = mixup_target(labels, idx_bb, lam_bb, self.num_classes)
        return dict(
            loss_mix_q=self.branch_loss(self.backbone, self.head_mix,
                                        mix_images(inputs, idx_bb, mask_bb),
                                        target_bb),
            loss_one_q=self.branch_loss(self.backbone, self.head_one, inputs,
                                        labels),
            **mixer_losses)

    def branch_loss(self, backbone: nn.Module, head: nn.Module,
                    images: torch.Tensor, target: torch.Tensor,
                    checkpoint: bool = False) -> torch.Tensor:
        """Loss of ``head`` (its own loss module, fp32 logits) on the pooled
        last stage of ``backbone``: one term of :meth:`loss`.

        Args:
            backbone (nn.Module): The encoder.
            head (nn.Module): A head of this model.
            images (Tensor): ``(N, 3, H, W)``.
            target (Tensor): Labels ``(N, )`` or soft targets.
            checkpoint (bool): Recompute the encoder's activations in
                backward. Defaults to False.
        """
        feats = checkpointed_forward(backbone, images) if checkpoint else \
            backbone(images)
        logits = head(self.neck(feats[-1:])).float()
        return head.loss_module(logits, target, avg_factor=logits.size(0))

    def mixer_branch(self, inputs: torch.Tensor, feat: torch.Tensor,
                     labels: torch.Tensor, index: torch.Tensor,
                     lam: float) -> Dict[str, torch.Tensor]:
        """The losses that train the Mixer, for one pairing.

        The Mixer mixes ``inputs`` with ``inputs[index]`` from the stage
        maps ``feat``; the frozen momentum encoder and ``head_mix_k``
        classify the mixture. ``step_cost.py --breakdown`` times it.

        Args:
            inputs (Tensor): ``(N, 3, H, W)``.
            feat (Tensor): Momentum stage maps of ``inputs``.
            labels (Tensor): ``(N, )``.
            index (Tensor): Partner of each sample.
            lam (float): λ.

        Returns:
            dict[str, Tensor]: ``loss_mix_k`` and ``loss_mask``.
        """
        mask = self.mixer(feat, feat[index], lam, tuple(inputs.shape[-2:]))
        target = mixup_target(labels, index, lam, self.num_classes)
        return dict(
            loss_mix_k=self.branch_loss(
                self.backbone_k, self.head_mix_k,
                mix_images(inputs, index, mask), target,
                self.checkpoint_mixer_branch),
            loss_mask=self.mask_loss(mask, lam))

    def _classifier_mask(self, mask: torch.Tensor,
                         lam: float) -> torch.Tensor:
        """The bb mask, or a constant λ mask within ``lam_margin``."""
        if in_lam_margin(lam, self.lam_margin):
            return constant_mask(mask, lam)
        return mask

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """``tensor``: logits of ``head_one_k``; ``loss``; ``predict``."""
        if mode == 'tensor':
            return self.head_one_k(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """Predict with the momentum encoder and ``head_one_k``.

        The scores of all four heads are stored as ``pred_score_<branch>``
        (branches ``one_k``, ``mix_k``, ``one_q``, ``mix_q``) for
        :class:`MultiHeadAccuracy`.

        Args:
            inputs (Tensor): Images of shape ``(N, 3, H, W)``.
            data_samples (list[DataSample], optional): Annotations.

        Returns:
            list[DataSample]: ``pred_score``/``pred_label`` from ``one_k``.
        """
        feat_k = self.extract_feat(inputs)
        feat_q = self._pooled(self.backbone, inputs)
        logits = dict(
            one_k=self.head_one_k(feat_k),
            mix_k=self.head_mix_k(feat_k),
            one_q=self.head_one(feat_q),
            mix_q=self.head_mix(feat_q))
        samples = self.head_one_k._get_predictions(logits['one_k'],
                                                   data_samples)
        scores = {k: v.float().softmax(dim=1) for k, v in logits.items()}
        for i, sample in enumerate(samples):
            for branch in BRANCHES:
                sample.set_field(scores[branch][i], f'pred_score_{branch}')
        return samples
