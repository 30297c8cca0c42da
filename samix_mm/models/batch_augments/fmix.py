# Copyright (c) samix_mm contributors. All rights reserved.
"""FMix: mixing by thresholded low-frequency Fourier masks."""
from typing import Tuple

import torch
from mmpretrain.models.utils.batch_augments import Mixup

from samix_mm.registry import BATCH_AUGMENTS
from ..utils import draw_lam_and_partners, is_positive_number


@BATCH_AUGMENTS.register_module()
class FMix(Mixup):
    r"""FMix batch augmentation.

    FMix of `FMix: Enhancing Mixed Sample Data Augmentation
    <https://arxiv.org/abs/2002.12047>`_ (Harris et al., 2020) pastes a
    region of random, smooth shape from the partner image: the region is
    where a random image with mostly low spatial frequencies is below a
    threshold. Like mmpretrain's :class:`Mixup` it is a callable for
    ``model.train_cfg.augments`` of an ``ImageClassifier``.

    Per batch, :math:`\lambda \sim Beta(\alpha, \alpha)` and a random
    pairing :math:`j = \pi(i)` are drawn; then, for every sample :math:`i`
    of the ``H x W`` images:

    1. a complex spectrum :math:`Z` on the frequency grid of a real
       ``H x W`` image (``torch.fft.rfft2`` layout), real and imaginary
       parts i.i.d. :math:`N(0, 1)`, is scaled by a power law of the
       frequency magnitude :math:`f = \sqrt{f_h^2 + f_w^2}` (cycles per
       pixel):

       .. math::
           \hat Z = Z \,/\, \max(f, 1 / \max(H, W))^{\delta};

    2. :math:`g_i = \mathrm{irfft2}(\hat Z)` is the grey image; its
       :math:`k = \mathrm{round}(\lambda H W)` largest pixels get
       :math:`m_i = 1`, the others :math:`m_i = 0`;
    3. the sample and its target become

       .. math::
           \tilde x_i = m_i \odot x_i + (1 - m_i) \odot x_j, \quad
           \tilde y_i = a_i\, y_i + (1 - a_i)\, y_j, \quad
           a_i = \frac{1}{HW} \sum_{h, w} m_i(h, w) = \frac{k}{HW}.

    The label weight :math:`a_i` is the mask's actual mean, which is
    :math:`\lambda` up to the rounding of :math:`k`. Unlike the reference
    code, which draws one mask per batch, every sample gets its own mask
    (same :math:`\lambda`, so the same :math:`a_i`). Only binary masks are
    made (the reference's ``max_soft = 0``).

    Args:
        alpha (float): :math:`\alpha` of :math:`Beta(\alpha, \alpha)`, the
            distribution of :math:`\lambda`. Must be > 0.
        decay_power (float): :math:`\delta`, the decay of the spectrum's
            amplitude with frequency; larger values give smoother masks
            with fewer, larger blobs. Must be > 0. Defaults to 3.0 (as in
            the paper).

    Example:
        >>> model = dict(train_cfg=dict(augments=dict(
        ...     type='FMix', alpha=0.2, decay_power=3.0)))
    """

    def __init__(self, alpha: float, decay_power: float = 3.0):
        if not is_positive_number(alpha):
            raise ValueError(f'alpha must be a number > 0, got {alpha!r}')
        if not is_positive_number(decay_power):
            raise ValueError(
                f'decay_power must be a number > 0, got {decay_power!r}')
        super().__init__(alpha=float(alpha))
        self.decay_power = float(decay_power)

    def low_freq_images(self,
                        num: int,
                        img_shape: Tuple[int, int],
                        device: torch.device = None) -> torch.Tensor:
        """Random grey images whose spectrum decays as ``1 / f^decay``.

        Args:
            num (int): How many images.
            img_shape (tuple[int, int]): Their size ``(H, W)``.
            device (torch.device, optional): Where to make them.

        Returns:
            Tensor: fp32 images of shape ``(num, H, W)``.
        """
        height, width = img_shape
        freq_h = torch.fft.fftfreq(height, device=device)
        freq_w = torch.fft.rfftfreq(width, device=device)
        freq = torch.sqrt(freq_h[:, None]**2 + freq_w[None, :]**2)
        scale = freq.clamp(min=1. / max(height, width))**(-self.decay_power)
        shape = (num, *freq.shape)
        spectrum = torch.complex(torch.randn(shape, device=device),
                                 torch.randn(shape, device=device)) * scale
        return torch.fft.irfft2(spectrum, s=(height, width))

    def make_mask(self,
                  num: int,
                  img_shape: Tuple[int, int],
                  lam: float,
                  device: torch.device = None) -> torch.Tensor:
        """Binary FMix masks, 1 where the sample keeps its own pixels.

        Args:
            num (int): How many masks (one per sample).
            img_shape (tuple[int, int]): Their size ``(H, W)``.
            lam (float): The mixing ratio λ in [0, 1].
            device (torch.device, optional): Where to make them.

        Returns:
            Tensor: fp32 masks of shape ``(num, 1, H, W)``, each with exactly
            ``round(lam * H * W)`` ones.
        """
        height, width = img_shape
        grey = self.low_freq_images(num, img_shape, device).flatten(1)
        keep = int(round(lam * height * width))
        top = grey.argsort(dim=1, descending=True)[:, :keep]
        mask = torch.zeros_like(grey).scatter_(1, top, 1.)
        return mask.view(num, 1, height, width)

    def mix(self, batch_inputs: torch.Tensor,
            batch_scores: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mix ``(N, C, H, W)`` inputs and ``(N, num_classes)`` one-hot
        scores, as :meth:`Mixup.mix`; returns both mixed."""
        lam, index = draw_lam_and_partners(self.alpha, batch_inputs)
        num = batch_inputs.size(0)
        mask = self.make_mask(num, tuple(batch_inputs.shape[-2:]), lam,
                              batch_inputs.device)
        area = mask.mean(dim=(1, 2, 3)).unsqueeze(1).to(batch_scores.dtype)
        mask = mask.to(batch_inputs.dtype)
        mixed_inputs = batch_inputs * mask + batch_inputs[index] * (1 - mask)
        mixed_scores = area * batch_scores + (1 - area) * batch_scores[index]
        return mixed_inputs, mixed_scores
