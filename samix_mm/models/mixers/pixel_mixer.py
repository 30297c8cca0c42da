# Copyright (c) samix_mm contributors. All rights reserved.
"""The learnable pixel-wise Mixer of SAMix and AutoMix."""
import math
import numbers
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from samix_mm.registry import MODELS
from .mixer_ops import rescale_lam

UPSAMPLE_MODES = ('nearest', 'bilinear', 'bicubic')
VALUE_NECK_KEYS = ('hidden_channels', 'dropout')


def _value_neck(in_channels: int, cfg: dict) -> nn.Sequential:
    """Conv1x1 → BN → ELU → Conv1x1(→1) → Dropout, convs without bias."""
    unknown = sorted(set(cfg) - set(VALUE_NECK_KEYS))
    if unknown or 'hidden_channels' not in cfg:
        raise ValueError(f'value_neck_cfg has keys {sorted(cfg)}; it needs '
                         f'hidden_channels and may have dropout, e.g. '
                         f'dict(hidden_channels=128, dropout=0.0)')
    hidden, dropout = int(cfg['hidden_channels']), cfg.get('dropout', 0.)
    if hidden <= 0 or not 0. <= dropout < 1.:
        raise ValueError(f'value_neck_cfg needs hidden_channels > 0 and '
                         f'dropout in [0, 1), got {cfg}')
    return nn.Sequential(nn.Conv2d(in_channels, hidden, 1, bias=False),
                         nn.BatchNorm2d(hidden), nn.ELU(inplace=True),
                         nn.Conv2d(hidden, 1, 1, bias=False),
                         nn.Dropout(dropout))


@MODELS.register_module()
class PixelMixer(BaseModule):
    """Pixel-wise mixing masks from two feature maps and λ.

    The Mixer ``M_φ`` of `Boosting Discriminative Visual Representation
    Learning with Scenario-Agnostic Mixup
    <https://arxiv.org/abs/2111.15454>`_ (and of AutoMix). For a sample a
    and its partner b (the caller gathers ``feat_b = feat[index]``):

    1. λ is injected: ``lam_mul`` scales the features by λ' and 1 - λ'
       (residually if ``lam_residual``; λ' is λ rescaled with
       k = ``lam_mul_k``), or ``lam_concat`` appends constant λ / 1 - λ
       channels.
    2. A value map ``v`` (one channel) is computed from the partner only.
    3. Queries come from a, keys from b through one shared 1x1 conv, or
       (``x_qk_concat``) both from ``cat[a, b]`` through separate convs.
    4. ``P = softmax(Q K / sqrt(d))``; the logits ``P v`` are upsampled to
       ``out_size`` and squashed: ``m_b = sigmoid(.)``, ``m_a = 1 - m_b``.

    Everything runs in fp32 with autocast disabled. Convs are initialised
    with N(0, 0.01) and zero bias, BN with 1 / 0, so the first masks are
    about 0.5 everywhere (``init_cfg`` can override this).

    Args:
        in_channels (int): Channels C of the input maps; must equal the
            channels of the backbone stage the Mixer reads.
        reduction (int): q/k have ``d = C // reduction`` channels.
            Defaults to 2.
        use_scale (bool): Divide the attention logits by sqrt(d).
            Defaults to True.
        upsample_mode (str): Mode of upsampling the mask logits, one of
            ``nearest``, ``bilinear``, ``bicubic``. Defaults to 'bilinear'.
        lam_concat (bool): Append λ to a and 1 - λ to b as a constant
            channel (AutoMix on large data). Defaults to False.
        lam_mul (float): If > 0, scale the features by λ' and 1 - λ'
            (SAMix uses 1.0). Defaults to 0.
        lam_mul_k (float): k of :func:`rescale_lam`; negative = no
            rescaling. Defaults to -1.
        lam_residual (bool): With ``lam_mul``, scale by
            ``1 + λ' * lam_mul`` and ``1 + (1 - λ') * lam_mul`` instead.
            Defaults to False.
        value_neck_cfg (dict, optional): ``dict(hidden_channels=...,
            dropout=...)`` for the non-linear value net of SAMix; None uses
            one 1x1 conv with bias (AutoMix). Defaults to None.
        x_qk_concat (bool): Compute q and k from ``cat[a, b]`` with separate
            convs. Defaults to False.
        frozen (bool): No gradients to any parameter and BN kept in eval
            mode (a pre-trained Mixer). Defaults to False.
        init_cfg (dict | list[dict], optional): Initialization config.

    Example:
        >>> import torch
        >>> mixer = PixelMixer(in_channels=8, lam_mul=1., lam_residual=True)
        >>> feat = torch.randn(4, 8, 4, 4)
        >>> mixer(feat, feat[torch.randperm(4)], 0.3, (16, 16)).shape
        torch.Size([4, 2, 16, 16])
    """

    def __init__(self,
                 in_channels: int,
                 reduction: int = 2,
                 use_scale: bool = True,
                 upsample_mode: str = 'bilinear',
                 lam_concat: bool = False,
                 lam_mul: float = 0.,
                 lam_mul_k: float = -1,
                 lam_residual: bool = False,
                 value_neck_cfg: Optional[dict] = None,
                 x_qk_concat: bool = False,
                 frozen: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if in_channels <= 0 or reduction <= 0 or in_channels % reduction:
            raise ValueError(
                f'in_channels ({in_channels}) must be > 0 and divisible by '
                f'reduction ({reduction}); change one of them')
        if not isinstance(upsample_mode, str) or \
                upsample_mode not in UPSAMPLE_MODES:
            raise ValueError(
                f'upsample_mode must be one of {"/".join(UPSAMPLE_MODES)} '
                f'(a single str), got {upsample_mode!r}')
        if isinstance(lam_mul_k, bool) or \
                not isinstance(lam_mul_k, numbers.Real):
            raise ValueError(
                'lam_mul_k must be a single number, e.g. 0.25 (negative = '
                f'no rescaling), got {lam_mul_k!r}')
        if lam_concat and lam_mul:
            raise ValueError('lam_concat and lam_mul are exclusive; set '
                             'lam_mul=0 or lam_concat=False')
        if lam_concat and x_qk_concat:
            raise ValueError('lam_concat and x_qk_concat are exclusive; set '
                             'one of them to False')
        if lam_mul < 0:
            raise ValueError(f'lam_mul must be >= 0 (0 = off), got {lam_mul}')
        self.upsample_mode = upsample_mode
        self.lam_mul_k = float(lam_mul_k)
        self.in_channels = in_channels
        self.use_scale = use_scale
        self.lam_concat = lam_concat
        self.lam_mul = float(lam_mul)
        self.lam_residual = lam_residual
        self.x_qk_concat = x_qk_concat
        self.frozen = frozen

        feat_channels = in_channels + int(lam_concat)
        qk_in = 2 * feat_channels if x_qk_concat else feat_channels
        self.qk_channels = in_channels // reduction
        self.query = nn.Conv2d(qk_in, self.qk_channels, 1)
        self.key = nn.Conv2d(qk_in, self.qk_channels, 1) \
            if x_qk_concat else None
        self.value = nn.Conv2d(feat_channels, 1, 1) if value_neck_cfg is None \
            else _value_neck(feat_channels, dict(value_neck_cfg))
        self._default_init()
        if frozen:
            self.requires_grad_(False)

    def _default_init(self) -> None:
        """N(0, 0.01) convs / linears with zero bias; BN weight 1, bias 0."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, std=0.01)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def init_weights(self) -> None:
        """Apply ``init_cfg``, or the default init when it is None."""
        super().init_weights()
        if self.init_cfg is None:
            self._default_init()

    def train(self, mode: bool = True) -> 'PixelMixer':
        """Set the training mode; a frozen Mixer always stays in eval."""
        return super().train(mode and not self.frozen)

    def _check_inputs(self, feat_a: torch.Tensor, feat_b: torch.Tensor,
                      lam: float, out_size: Sequence[int]) -> None:
        if feat_a.dim() != 4 or feat_a.shape != feat_b.shape:
            raise ValueError(
                'feat_a and feat_b must both have shape (N, C, h, w), got '
                f'{tuple(feat_a.shape)} and {tuple(feat_b.shape)}')
        if feat_a.size(1) != self.in_channels:
            raise ValueError(
                f'the features have {feat_a.size(1)} channels but the '
                f'Mixer has in_channels={self.in_channels}; the Mixer\'s '
                '`in_channels` must equal the channels of the backbone '
                'stage it reads')
        if not 0. <= float(lam) <= 1.:
            raise ValueError(f'lam must be in [0, 1], got {float(lam)}')
        if len(out_size) != 2 or min(out_size) <= 0:
            raise ValueError(f'out_size must be (H, W) > 0, got {out_size}')

    def _inject_lam(self, x_a: torch.Tensor, x_b: torch.Tensor,
                    lam: float) -> Tuple[torch.Tensor, torch.Tensor]:
        """Scale (``lam_mul``) or extend (``lam_concat``) the features."""
        if self.lam_mul > 0:
            lam_k = rescale_lam(lam, self.lam_mul_k)
            if self.lam_residual:
                scale_a = 1. + lam_k * self.lam_mul
                scale_b = 1. + (1. - lam_k) * self.lam_mul
            else:
                scale_a, scale_b = lam_k, 1. - lam_k
            x_a, x_b = x_a * scale_a, x_b * scale_b
        if self.lam_concat:
            const = x_a.new_ones(x_a.size(0), 1, *x_a.shape[2:])
            x_a = torch.cat([x_a, const * lam], dim=1)
            x_b = torch.cat([x_b, const * (1. - lam)], dim=1)
        return x_a, x_b

    def forward(self, feat_a: torch.Tensor, feat_b: torch.Tensor, lam: float,
                out_size: Tuple[int, int]) -> torch.Tensor:
        """Predict the mixing masks of sample a and partner b.

        Args:
            feat_a (Tensor): Features of the λ samples, ``(N, C, h, w)``.
            feat_b (Tensor): Features of their partners, ``(N, C, h, w)``.
            lam (float): The mixing ratio λ in [0, 1].
            out_size (tuple[int, int]): Mask size ``(H, W)``.

        Returns:
            Tensor: fp32 masks of shape ``(N, 2, H, W)``; channel 0 weighs
            sample a, channel 1 its partner; they sum to 1.
        """
        self._check_inputs(feat_a, feat_b, lam, out_size)
        num, _, height, width = feat_a.shape
        with torch.autocast(device_type=feat_a.device.type, enabled=False):
            x_a, x_b = self._inject_lam(feat_a.float(), feat_b.float(),
                                        float(lam))
            value = self.value(x_b).view(num, height * width, 1)
            if self.x_qk_concat:
                x_ab = torch.cat([x_a, x_b], dim=1)
                query, key = self.query(x_ab), self.key(x_ab)
            else:
                query, key = self.query(x_a), self.query(x_b)
            query = query.flatten(2).transpose(1, 2)  # (N, hw, d)
            logits = torch.bmm(query, key.flatten(2))  # (N, hw, hw)
            if self.use_scale:
                logits = logits / math.sqrt(self.qk_channels)
            attn = logits.softmax(dim=-1)
            mask_logit = torch.bmm(attn, value).view(num, 1, height, width)
            mode = self.upsample_mode
            mask_logit = F.interpolate(
                mask_logit,
                size=tuple(int(s) for s in out_size),
                mode=mode,
                align_corners=None if mode == 'nearest' else False)
            mask_b = mask_logit.sigmoid()
            return torch.cat([1. - mask_b, mask_b], dim=1)
