# Copyright (c) samix_mm contributors. All rights reserved.
"""Manifold Mixup (Verma et al., ICML 2019, arXiv 1806.05236)."""
from typing import List, Sequence, Tuple

import numpy as np
import torch
from mmpretrain.structures import DataSample

from samix_mm.registry import MODELS
from ..utils import random_pairing
from .soft_mix_classifier import SoftMixClassifier

#: Index in ``mix_stages`` of the input image (mixing before the stem).
INPUT_STAGE = -1


@MODELS.register_module()
class ManifoldMixClassifier(SoftMixClassifier):
    """Manifold Mixup: mix the hidden features of a randomly chosen stage.

    At every training step one stage ``k`` is drawn uniformly from
    ``mix_stages``, ``lam ~ Beta(alpha, alpha)`` and a random permutation
    ``perm`` of the batch; the backbone is run stage by stage and the
    features after stage ``k`` are mixed with their partners before the
    later stages, the neck and the head::

        h_k <- lam * h_k + (1 - lam) * h_k[perm]
        y   <- lam * onehot(y) + (1 - lam) * onehot(y)[perm]

    Stage convention (the 0-based stage indices of the backbone's
    ``out_indices``): ``-1`` is the input image (mixing the images, i.e.
    input Mixup), ``i >= 0`` is the output of ``res_layers[i]``
    (``layer{i+1}`` of a ResNet). The original CIFAR setting mixes at
    {input, after layer1, after layer2} = ``(-1, 0, 1)`` here.

    Only backbones of mmpretrain's ResNet family (``res_layers``: ResNet,
    ResNet_CIFAR, ResNetV1c/d, ResNeXt, ...) are supported. The head's
    loss must take soft targets (``CrossEntropyLoss(use_soft=True)``);
    ``train_cfg.augments`` (batch augments) are refused. Prediction and
    feature extraction are those of ``ImageClassifier`` (no mixing).

    Args:
        backbone (dict): The backbone config (with ``res_layers``).
        alpha (float): Parameter of ``Beta(alpha, alpha)`` that ``lam`` is
            drawn from. Defaults to 2.0.
        mix_stages (Sequence[int]): Stages to choose the mixing point from,
            uniformly per step (see the stage convention above). Defaults to
            ``(-1, 0, 1)``.
        **kwargs: ``neck``, ``head`` (soft-target loss), ``pretrained``,
            ``train_cfg``, ``data_preprocessor``, ``init_cfg`` of
            :class:`SoftMixClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 alpha: float = 2.0,
                 mix_stages: Sequence[int] = (-1, 0, 1),
                 **kwargs) -> None:
        super().__init__(backbone=backbone, alpha=alpha, **kwargs)
        if not hasattr(self.backbone, 'res_layers'):
            raise ValueError(
                'ManifoldMixClassifier needs a ResNet-family backbone with '
                f'res_layers, got {type(self.backbone).__name__}')
        num_stages = len(self.backbone.res_layers)
        stages = tuple(mix_stages) if isinstance(mix_stages,
                                                 (list, tuple)) else ()
        if not stages or not all(
                isinstance(s, int) and not isinstance(s, bool)
                and INPUT_STAGE <= s < num_stages for s in stages):
            raise ValueError(
                'mix_stages must be a non-empty tuple of ints in '
                f'[-1, {num_stages - 1}] (-1: the input image), got '
                f'{mix_stages!r}')
        self.mix_stages = stages

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's stem as in mmpretrain's ``ResNet.forward`` (no
        max pooling in ``ResNet_CIFAR``, which has none)."""
        backbone = self.backbone
        if getattr(backbone, 'deep_stem', False):
            x = backbone.stem(x)
        else:
            x = backbone.relu(backbone.norm1(backbone.conv1(x)))
        maxpool = getattr(backbone, 'maxpool', None)
        return maxpool(x) if maxpool is not None else x

    def mixed_backbone_forward(self, inputs: torch.Tensor, stage: int,
                               lam: float,
                               index: torch.Tensor) -> Tuple[torch.Tensor]:
        """Run the backbone stage by stage, mixing after ``stage``.

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``.
            stage (int): Where to mix: -1 the input, ``i >= 0`` the output
                of ``res_layers[i]``.
            lam (float): Weight of the sample's own features.
            index (Tensor): Partner index of shape ``(N, )``.

        Returns:
            tuple[Tensor]: The outputs at the backbone's ``out_indices``, as
            its ``forward`` returns them.
        """
        x = inputs
        if stage == INPUT_STAGE:
            x = lam * x + (1. - lam) * x[index]
        x = self._stem(x)
        outs = []
        for i, name in enumerate(self.backbone.res_layers):
            x = getattr(self.backbone, name)(x)
            if i == stage:
                x = lam * x + (1. - lam) * x[index]
            if i in self.backbone.out_indices:
                outs.append(x)
        return tuple(outs)

    def mix_forward(self, inputs: torch.Tensor,
                    data_samples: List[DataSample]) -> tuple:
        """Draw λ, the stage and the partners; mix the features there."""
        lam = float(np.random.beta(self.alpha, self.alpha))
        stage = self.mix_stages[np.random.randint(len(self.mix_stages))]
        index = random_pairing(inputs.size(0), device=inputs.device)
        feats = self.mixed_backbone_forward(inputs, stage, lam, index)
        if self.with_neck:
            feats = self.neck(feats)
        return feats, lam, index
