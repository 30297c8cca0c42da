# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix^P: a trained, frozen SAMix Mixer as a batch augmentation."""
from typing import Sequence, Tuple

import numpy as np
import torch
from torch import nn

from samix_mm.registry import BATCH_AUGMENTS
from ..mixers.mixer_ops import check_lam_margin, constant_mask, in_lam_margin
from ..utils import forward_to_stage, mix_images, random_pairing
from ..utils.frozen_mixer_loader import build_frozen_pair, load_mixer_export


def _channels(values: Sequence[float]) -> torch.Tensor:
    """Per-channel values as a ``(C, 1, 1)`` float tensor."""
    return torch.tensor([float(v) for v in values]).view(-1, 1, 1)


@BATCH_AUGMENTS.register_module()
class SAMixP:
    """Mix a batch with the masks of a pre-trained, frozen SAMix Mixer.

    SAMix^P of `Boosting Discriminative Visual Representation Learning with
    Scenario-Agnostic Mixup <https://arxiv.org/abs/2111.15454>`_: a Mixer
    trained by SAMix is reused, frozen, to mix the batches of any classifier
    (another dataset, another backbone). Like mmpretrain's ``Mixup`` it is a
    plain callable for ``model.train_cfg.augments`` of an
    ``ImageClassifier`` (alone or in ``RandomBatchAugment``'s list).

    Per batch: λ ~ Beta(alpha, alpha) and a random pairing are drawn; the
    frozen encoder gives the stage-``mask_layer`` map, the frozen Mixer the
    masks; if λ or 1 - λ is at most ``lam_margin`` the mask is the constant
    λ (plain mixup), as in :class:`SAMixClassifier`. The mixed image of
    sample i is ``x_i * m0_i + x_j * (1 - m0_i)``.

    Note:
        **Targets follow the mask area**: sample i gets
        ``a_i * y_i + (1 - a_i) * y_j`` with ``a_i`` the mean of its mask
        channel 0, i.e. the share of its pixels that come from x_i (the
        Mixer's mask area is near λ but not equal to it). With the margin
        fallback ``a_i = λ``.

        **Frozen**: the encoder and Mixer never get gradients, stay in eval
        mode (BN uses its stored statistics, dropout is off) and run under
        ``torch.no_grad()``. This object is not an ``nn.Module`` and lives
        in the data preprocessor's ``RandomBatchAugment``, so they are not in
        the classifier's parameters, optimizer or state dict; they follow the
        inputs' device at the first call on it.

        **Normalisation**: mmpretrain's data preprocessor normalises the
        images before the batch augments. ``mean``/``std`` tell how; the
        inputs are mapped to the normalisation recorded in the file (that of
        the SAMix run) before the encoder sees them, while the mixing itself
        uses the inputs as given. The channel order must be that of the
        SAMix run (RGB in every samix_mm config).

    Args:
        mixer_file (str): File written by
            ``tools/model_converters/export_mixer.py``.
        mean (Sequence[float]): Per-channel mean the data preprocessor of
            this config normalises with (its ``mean``; ``[0, 0, 0]`` if it
            does not normalise).
        std (Sequence[float]): Its ``std`` (``[1, 1, 1]`` without).
        alpha (float): λ ~ Beta(alpha, alpha). Defaults to 2.0.
        lam_margin (float): If λ or 1 - λ is at most this value the mask is
            the constant λ. Defaults to 0.08.

    Example:
        >>> # in an ImageClassifier config, data normalised like ImageNet
        >>> model = dict(train_cfg=dict(augments=dict(
        ...     type='SAMixP', mixer_file='work_dirs/samixp/mixer.pth',
        ...     mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        ...     alpha=2.0)))
    """

    def __init__(self,
                 mixer_file: str,
                 mean: Sequence[float],
                 std: Sequence[float],
                 alpha: float = 2.0,
                 lam_margin: float = 0.08):
        if not alpha > 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        export = load_mixer_export(mixer_file)
        self.alpha = float(alpha)
        self.lam_margin = check_lam_margin(lam_margin)
        self.mask_layer = export['mask_layer']
        self.channels = len(export['mean'])
        if len(mean) != self.channels or len(std) != self.channels or min(
                std) <= 0:
            raise ValueError(
                f'mean and std need {self.channels} values (one per channel '
                f'of the Mixer\'s encoder) and std > 0, got {list(mean)} and '
                f'{list(std)}; copy them from data_preprocessor')
        self.encoder, self.mixer = build_frozen_pair(export, mixer_file)
        self._frozen = nn.ModuleList([self.encoder, self.mixer])
        mean_t, std_t = _channels(mean), _channels(std)
        mean_s, std_s = _channels(export['mean']), _channels(export['std'])
        # x_source = x * scale + shift; None when both are the same
        same = torch.allclose(mean_t, mean_s) and torch.allclose(std_t, std_s)
        self._affine = None if same else (std_t / std_s,
                                          (mean_t - mean_s) / std_s)

    def _prepare(self, device: torch.device) -> None:
        """Move the frozen modules to ``device`` (lazily); keep eval mode."""
        if next(self._frozen.parameters()).device != device:
            self._frozen.to(device)
            if self._affine is not None:
                self._affine = tuple(t.to(device) for t in self._affine)
        self._frozen.eval()

    @torch.no_grad()
    def make_mask(self, inputs: torch.Tensor, index: torch.Tensor,
                  lam: float) -> torch.Tensor:
        """The mixing masks of a normalised batch and its pairing.

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``, normalised by
                ``mean``/``std``.
            index (Tensor): Partner index of shape ``(N, )``.
            lam (float): The mixing ratio λ in [0, 1].

        Returns:
            Tensor: fp32 masks ``(N, 2, H, W)``; channel 0 weighs the sample,
            channel 1 its partner.
        """
        self._prepare(inputs.device)
        if in_lam_margin(lam, self.lam_margin):
            return constant_mask(inputs.new_empty(
                (inputs.size(0), 2, *inputs.shape[2:]), dtype=torch.float),
                lam)
        source = inputs.float()
        if self._affine is not None:
            source = source * self._affine[0] + self._affine[1]
        feat = forward_to_stage(self.encoder, source, self.mask_layer)
        return self.mixer(feat, feat[index], lam, tuple(inputs.shape[-2:]))

    @torch.no_grad()
    def __call__(
            self, batch_inputs: torch.Tensor,
            batch_score: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mix the batch and its scores.

        Args:
            batch_inputs (Tensor): Normalised images ``(N, C, H, W)``.
            batch_score (Tensor): One-hot or soft scores ``(N, classes)``.

        Returns:
            tuple[Tensor, Tensor]: The mixed images and their soft scores,
            ``a_i * s_i + (1 - a_i) * s_j`` with ``a_i`` the mask area.
        """
        num = batch_inputs.size(0)
        if batch_inputs.dim() != 4 or batch_inputs.size(1) != self.channels:
            raise ValueError(
                f'batch_inputs must be (N, {self.channels}, H, W) images, '
                f'got {tuple(batch_inputs.shape)}')
        if batch_score.dim() != 2 or batch_score.size(0) != num:
            raise ValueError('batch_score must be one-hot or soft scores of '
                             f'shape ({num}, num_classes), got '
                             f'{tuple(batch_score.shape)}')
        lam = float(np.random.beta(self.alpha, self.alpha))
        index = random_pairing(num, device=batch_inputs.device)
        mask = self.make_mask(batch_inputs, index, lam)
        area = mask[:, 0].mean(dim=(1, 2)).unsqueeze(1)
        score = batch_score.float()
        mixed_score = area * score + (1. - area) * score[index]
        return mix_images(batch_inputs, index, mask), mixed_score
