# Copyright (c) samix_mm contributors. All rights reserved.
"""What the classifiers that mix inside their own step share."""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from ..utils import is_positive_number


class SoftMixClassifier(ImageClassifier):
    """An ``ImageClassifier`` that mixes inside ``loss`` (Manifold Mixup,
    TransMix), not through batch augments.

    It refuses batch augments (``train_cfg.augments`` or the data
    preprocessor's), a head loss without soft targets and ``alpha <= 0``,
    each in one line. Its :meth:`loss` is the head's soft-target loss on
    what the subclass's :meth:`mix_forward` mixes.

    Args:
        backbone (dict): The backbone config.
        alpha (float): λ ~ Beta(alpha, alpha).
        neck (dict, optional): The neck config. Defaults to None.
        head (dict, optional): The head config; its loss must accept soft
            targets. Defaults to None.
        pretrained (str, optional): Checkpoint to initialise from. Defaults
            to None.
        train_cfg (dict, optional): Must not set ``augments``. Defaults to
            None.
        data_preprocessor (dict, optional): The data preprocessor config
            (no ``batch_augments``). Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 alpha: float,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        name = type(self).__name__
        if train_cfg and train_cfg.get('augments'):
            raise ValueError(
                f'{name} mixes by itself: remove '
                'model.train_cfg.augments (batch augments) from the config')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if getattr(self.data_preprocessor, 'batch_augments', None):
            raise ValueError(
                f'{name} mixes by itself: remove the '
                'batch_augments of model.data_preprocessor')
        loss_module = getattr(self.head, 'loss_module', None)
        if not getattr(loss_module, 'use_soft', False):
            raise ValueError(
                f'{name} trains on soft targets: set '
                "model.head.loss=dict(type='CrossEntropyLoss', "
                'use_soft=True)')
        if not is_positive_number(alpha):
            raise ValueError(f'alpha must be a number > 0, got {alpha!r}')
        self.alpha = float(alpha)

    def target_scores(self, data_samples: List[DataSample]) -> torch.Tensor:
        """The batch's own targets ``(N, num_classes)``: ``gt_score`` if
        present, else one-hot ``gt_label``."""
        if 'gt_score' in data_samples[0]:
            return torch.stack([s.gt_score for s in data_samples]).float()
        labels = torch.cat([s.gt_label for s in data_samples])
        return F.one_hot(labels, self.head.num_classes).float()

    def mixed_head_loss(self, feats, data_samples: List[DataSample],
                        lam: Union[float, torch.Tensor],
                        index: torch.Tensor) -> dict:
        """The head's loss with the target ``lam·y + (1 - lam)·y[index]``.

        Args:
            feats: What the head reads (neck output).
            data_samples (list[DataSample]): Labels (``gt_label``, or
                ``gt_score`` if present); not modified.
            lam (float | Tensor): The weight of each sample's own label, one
                number or one per sample ``(N, )``.
            index (Tensor): The partner of each sample ``(N, )``.

        Returns:
            dict[str, Tensor]: The head's losses.
        """
        scores = self.target_scores(data_samples).to(index.device)
        if isinstance(lam, torch.Tensor):
            lam = lam.to(scores.dtype).unsqueeze(1)
        target = lam * scores + (1. - lam) * scores[index]
        mixed = [
            s.clone().set_gt_score(t) for s, t in zip(data_samples, target)
        ]
        return self.head.loss(feats, mixed)

    def mix_forward(
        self, inputs: torch.Tensor, data_samples: List[DataSample]
    ) -> Tuple[tuple, Union[float, torch.Tensor], torch.Tensor]:
        """Mix the batch and run it up to what the head reads (each
        subclass's method).

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``.
            data_samples (list[DataSample]): Their labels; not modified.

        Returns:
            tuple: The head's input, the weight λ of each sample's own label
            (one number or ``(N, )``) and the partner index ``(N, )``.
        """
        raise NotImplementedError

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        """The head's soft-target loss on the batch :meth:`mix_forward`
        mixes.

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``.
            data_samples (list[DataSample]): Their labels (``gt_label``, or
                ``gt_score`` if present); not modified.

        Returns:
            dict[str, Tensor]: The head's losses.
        """
        feats, lam, index = self.mix_forward(inputs, data_samples)
        return self.mixed_head_loss(feats, data_samples, lam, index)
