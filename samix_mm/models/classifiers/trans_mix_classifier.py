# Copyright (c) samix_mm contributors. All rights reserved.
"""TransMix (Chen et al., CVPR 2022, arXiv 2111.09833)."""
from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils.batch_augments import CutMix
from mmpretrain.structures import DataSample
from torch import nn

from samix_mm.registry import MODELS
from ..utils import is_positive_number, random_pairing
from .soft_mix_classifier import SoftMixClassifier

#: (y_low, y_high, x_low, x_high) of a CutMix box, in pixels.
Box = Tuple[int, int, int, int]


@MODELS.register_module()
class TransMixClassifier(SoftMixClassifier):
    """TransMix: CutMix images, label weights from the class attention.

    At every training step ``lam ~ Beta(alpha, alpha)``, a CutMix box of
    area ``(1 - lam) * H * W`` (mmpretrain's ``CutMix`` box sampling, area
    correction of ``lam`` included) and a random permutation ``perm`` of
    the batch are drawn; the box of every image ``a`` is filled with the
    same box of its partner ``b = perm[a]``. While the mixed images go
    through the backbone, the input of the LAST transformer layer's
    attention is captured (forward pre-hook, mmpretrain's modules are not
    changed) and the class token's attention to the ``P`` patch tokens is
    recomputed from that module's ``qkv`` weights, averaged over the heads::

        A = mean_heads softmax(q_cls . k^T / sqrt(d))[patch tokens]
        lam_attn(a) = sum_p A_a[p] * M_a[p] / sum_p A_a[p]
        target(a) = lam_attn(a) * y_a + (1 - lam_attn(a)) * y_b

    where ``M`` is 1 on the patches that still show sample ``a`` (outside
    the box) and 0 inside, the pixel mask downsampled to the patch grid by
    nearest interpolation (as the original code). An empty box gives
    ``lam_attn = 1``. The attention is a label weight, not a path of the
    loss: it is computed without gradient.

    With probability ``mixup_prob`` a step is plain Mixup instead (as
    the original's switch between its CutMix and Mixup branches): ``lam ~
    Beta(mixup_alpha, mixup_alpha)``, the images and the labels are mixed
    with the same ``lam`` and no attention is computed.

    The backbone must be mmpretrain's ``VisionTransformer`` (or a subclass)
    with a class token and ``out_type='cls_token'`` (the DeiT configs, with
    ``VisionTransformerClsHead``). The head's loss must take soft targets
    (``CrossEntropyLoss(use_soft=True)``); batch augments are refused.
    Prediction and feature extraction are those of ``ImageClassifier``.

    Args:
        backbone (dict): The ``VisionTransformer`` config.
        alpha (float): Parameter of ``Beta(alpha, alpha)`` that the CutMix
            ``lam`` is drawn from. Defaults to 1.0.
        mixup_alpha (float): Parameter of the Mixup branch's Beta
            distribution. Defaults to 0.8 (the original's).
        mixup_prob (float): Probability in [0, 1] that a step takes the
            Mixup branch. Defaults to 0.5 (the paper's switch probability).
        **kwargs: ``neck``, ``head`` (soft-target loss), ``pretrained``,
            ``train_cfg``, ``data_preprocessor``, ``init_cfg`` of
            :class:`SoftMixClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 alpha: float = 1.0,
                 mixup_alpha: float = 0.8,
                 mixup_prob: float = 0.5,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, alpha=alpha, **kwargs)
        if not is_positive_number(mixup_alpha):
            raise ValueError(
                f'mixup_alpha must be a number > 0, got {mixup_alpha!r}')
        if not (isinstance(mixup_prob, (int, float))
                and not isinstance(mixup_prob, bool)
                and 0. <= mixup_prob <= 1.):
            raise ValueError(
                f'mixup_prob must be a number in [0, 1], got {mixup_prob!r}')
        self.mixup_alpha = float(mixup_alpha)
        self.mixup_prob = float(mixup_prob)
        if not (isinstance(self.backbone, VisionTransformer)
                and self.backbone.cls_token is not None
                and self.backbone.out_type == 'cls_token'):
            raise ValueError(
                "TransMixClassifier needs mmpretrain's VisionTransformer "
                "with with_cls_token=True and out_type='cls_token', got "
                f'{type(self.backbone).__name__}')
        # mmpretrain's box sampling (square box, lam corrected to the area)
        self.cutmix = CutMix(alpha=self.alpha)

    def sample_box(self, img_shape: Tuple[int, int]) -> Tuple[Box, float]:
        """Draw ``lam ~ Beta(alpha, alpha)`` and a CutMix box.

        Args:
            img_shape (tuple[int, int]): ``(H, W)`` of the images.

        Returns:
            tuple: The box ``(yl, yh, xl, xh)`` and the area-corrected
            ``lam`` (fraction of the image outside the box).
        """
        lam = float(np.random.beta(self.alpha, self.alpha))
        box, lam = self.cutmix.cutmix_bbox_and_lam(tuple(img_shape), lam)
        return tuple(int(v) for v in box), float(lam)

    @staticmethod
    def cutmix_images(inputs: torch.Tensor, box: Box,
                      index: torch.Tensor) -> torch.Tensor:
        """Paste the box of each image's partner into a copy of the batch.

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``.
            box (tuple[int]): ``(yl, yh, xl, xh)`` in pixels.
            index (Tensor): Partner index of shape ``(N, )``.

        Returns:
            Tensor: The mixed images.
        """
        yl, yh, xl, xh = box
        mixed = inputs.clone()
        mixed[:, :, yl:yh, xl:xh] = inputs[index, :, yl:yh, xl:xh]
        return mixed

    @staticmethod
    def cls_attention(attn: nn.Module, x: torch.Tensor,
                      num_extra_tokens: int) -> torch.Tensor:
        """Head-averaged attention of the class token to the patch tokens.

        Recomputes ``softmax(q_cls . k^T / sqrt(d))`` of mmpretrain's
        ``MultiheadAttention`` from its ``qkv`` weights (its scale is always
        ``head_dims ** -0.5``), without dropout.

        Args:
            attn (nn.Module): The ``MultiheadAttention`` module.
            x (Tensor): Its input, shape ``(N, L, C)``, class token first.
            num_extra_tokens (int): Tokens before the patch tokens.

        Returns:
            Tensor: Shape ``(N, L - num_extra_tokens)``.
        """
        B, L, _ = x.shape
        qkv = attn.qkv(x).reshape(B, L, 3, attn.num_heads, attn.head_dims)
        q = qkv[:, :1, 0].transpose(1, 2)  # (B, heads, 1, d)
        k = qkv[:, :, 1].transpose(1, 2)  # (B, heads, L, d)
        logits = q @ k.transpose(-2, -1) * attn.head_dims**-0.5
        weights = logits.softmax(dim=-1)[:, :, 0]  # (B, heads, L)
        return weights.mean(dim=1)[:, num_extra_tokens:]

    @staticmethod
    def attention_lambda(cls_attn: torch.Tensor, box: Box,
                         img_shape: Tuple[int, int],
                         grid: Tuple[int, int]) -> torch.Tensor:
        """Share of the class attention on the patches kept from sample a.

        Args:
            cls_attn (Tensor): Attention to the patches, ``(N, h * w)``.
            box (tuple[int]): ``(yl, yh, xl, xh)`` in pixels.
            img_shape (tuple[int, int]): ``(H, W)`` of the images.
            grid (tuple[int, int]): The patch grid ``(h, w)``.

        Returns:
            Tensor: ``lam_attn`` of shape ``(N, )``.
        """
        yl, yh, xl, xh = box
        in_box = cls_attn.new_zeros(1, 1, *img_shape)
        in_box[..., yl:yh, xl:xh] = 1.
        kept = 1. - F.interpolate(in_box, size=tuple(grid), mode='nearest')
        kept = kept.flatten(1)  # (1, h * w)
        return (cls_attn * kept).sum(1) / cls_attn.sum(1)

    def forward_with_attention(
            self, inputs: torch.Tensor
    ) -> Tuple[Tuple[torch.Tensor], torch.Tensor, Tuple[int, int]]:
        """``extract_feat`` that also returns the last layer's class
        attention (no gradient) and the patch grid.

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``.

        Returns:
            tuple: The features, the class attention ``(N, h * w)`` and the
            patch grid ``(h, w)``.
        """
        backbone = self.backbone
        attn_module = backbone.layers[-1].attn
        seen = {}

        def grab_grid(module, args, output):
            seen['grid'] = tuple(output[1])

        def grab_attn(module, args):
            with torch.no_grad():
                seen['attn'] = self.cls_attention(
                    module, args[0].detach(), backbone.num_extra_tokens)

        handles = [
            backbone.patch_embed.register_forward_hook(grab_grid),
            attn_module.register_forward_pre_hook(grab_attn),
        ]
        try:
            feats = self.extract_feat(inputs)
        finally:
            for handle in handles:
                handle.remove()
        return feats, seen['attn'], seen['grid']

    def mix_forward(self, inputs: torch.Tensor,
                    data_samples: List[DataSample]) -> tuple:
        """A Mixup step (probability ``mixup_prob``) or a CutMix step
        weighted by the class attention."""
        index = random_pairing(inputs.size(0), device=inputs.device)
        if np.random.rand() < self.mixup_prob:
            lam = float(np.random.beta(self.mixup_alpha, self.mixup_alpha))
            mixed = lam * inputs + (1. - lam) * inputs[index]
            return self.extract_feat(mixed), lam, index
        img_shape = tuple(inputs.shape[-2:])
        box, _ = self.sample_box(img_shape)
        mixed = self.cutmix_images(inputs, box, index)
        feats, cls_attn, grid = self.forward_with_attention(mixed)
        lam = self.attention_lambda(cls_attn, box, img_shape, grid)
        return feats, lam, index
