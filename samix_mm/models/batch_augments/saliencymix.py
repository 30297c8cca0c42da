# Copyright (c) samix_mm contributors. All rights reserved.
"""SaliencyMix: a CutMix box placed on the partner's saliency peak."""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.utils.batch_augments import CutMix

from samix_mm.registry import BATCH_AUGMENTS
from ..utils import draw_lam_and_partners, is_positive_number


def _gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """A normalised 1-D Gaussian of ``size`` taps."""
    offsets = torch.arange(size, dtype=torch.float) - (size - 1) / 2
    kernel = torch.exp(-offsets**2 / (2 * sigma**2))
    return kernel / kernel.sum()


@BATCH_AUGMENTS.register_module()
class SaliencyMix(CutMix):
    r"""SaliencyMix batch augmentation.

    SaliencyMix of `SaliencyMix: A Saliency Guided Data Augmentation
    Strategy for Better Regularization <https://arxiv.org/abs/2006.01791>`_
    (Uddin et al., ICLR 2021) is CutMix whose box is centred on the most
    salient pixel of the partner image instead of a random one, so the
    pasted patch tends to hold the partner's object. Like mmpretrain's
    :class:`CutMix` it is a callable for ``model.train_cfg.augments`` of an
    ``ImageClassifier``.

    **Saliency** (spectral residual, Hou & Zhang, CVPR 2007) of an image:
    its channel mean, resized (bilinear) down to at most ``S x S``
    (``saliency_size``; smaller images are used as they are), has the
    spectrum :math:`F = \mathrm{FFT2}`, amplitude :math:`A = |F|` and phase
    :math:`P = \arg F`;

    .. math::
        R = \log A - h_3 * \log A, \qquad
        s = g_{\sigma} * \left|\mathrm{IFFT2}\left(e^{R + iP}\right)
        \right|^2,

    with :math:`h_3` the 3 x 3 mean filter and :math:`g_{\sigma}` a
    Gaussian (``smooth_kernel`` taps, ``smooth_sigma``), both with
    reflected borders; :math:`s` is resized (bilinear) back to ``H x W``
    and its arg-max :math:`(c_h, c_w)` is the saliency peak. The defaults
    (64 px, 3 x 3 mean, 5 taps of σ = 8) are those of OpenCV's
    ``StaticSaliencySpectralResidual``, which the SaliencyMix reference code
    calls. Unlike OpenCV, small images are not up-sampled to ``S`` (the
    up-sampled spectrum is empty at high frequencies, where the residual is
    numerical noise that can outshine the object), the inputs are the
    normalised floats (no ``log(A + 1)`` for 8-bit intensities) and the
    square is taken before the smoothing, as in the paper.

    **Mixing.** Per batch, :math:`\lambda \sim Beta(\alpha, \alpha)` and a
    random pairing :math:`j = \pi(i)` are drawn; the box has CutMix's size
    :math:`b_h = \lfloor H \sqrt{1 - \lambda} \rfloor`, :math:`b_w =
    \lfloor W \sqrt{1 - \lambda} \rfloor`, rows
    :math:`[c_h - \lfloor b_h / 2 \rfloor, c_h - \lfloor b_h / 2 \rfloor +
    b_h)` clipped to :math:`[0, H)` (columns alike), with
    :math:`(c_h, c_w)` the peak of the partner :math:`x_j`. With
    :math:`B_i` the indicator of that box,

    .. math::
        \tilde x_i = (1 - B_i) \odot x_i + B_i \odot x_j, \quad
        \tilde y_i = a_i\, y_i + (1 - a_i)\, y_j, \quad
        a_i = 1 - \frac{|B_i|}{HW},

    i.e. the label weight follows the box's actual (clipped) area. Unlike
    the reference code, which places one box for the whole batch from the
    saliency of a single partner, every sample gets the box of its own
    partner.

    Args:
        alpha (float): :math:`\alpha` of :math:`Beta(\alpha, \alpha)`, the
            distribution of :math:`\lambda`. Must be > 0.
        saliency_size (int, optional): Largest side :math:`S` at which
            saliency is computed; larger images are resized down to it,
            ``None`` always uses the input size. Must be >= 4. Defaults
            to 64.
        smooth_kernel (int): Taps of the Gaussian smoothing, odd and
            >= 1. Defaults to 5.
        smooth_sigma (float): Its standard deviation in pixels at the
            saliency size; must be > 0. Defaults to 8.0.

    Example:
        >>> model = dict(train_cfg=dict(augments=dict(
        ...     type='SaliencyMix', alpha=0.2)))
    """

    def __init__(self,
                 alpha: float,
                 saliency_size: Optional[int] = 64,
                 smooth_kernel: int = 5,
                 smooth_sigma: float = 8.0):
        if not is_positive_number(alpha):
            raise ValueError(f'alpha must be a number > 0, got {alpha!r}')
        if saliency_size is not None and (
                isinstance(saliency_size, bool)
                or not isinstance(saliency_size, int) or saliency_size < 4):
            raise ValueError('saliency_size must be None or an int >= 4, got '
                             f'{saliency_size!r}')
        if not (isinstance(smooth_kernel, int) and is_positive_number(smooth_kernel)
                and smooth_kernel % 2 == 1):
            raise ValueError('smooth_kernel must be an odd int >= 1, got '
                             f'{smooth_kernel!r}')
        if not is_positive_number(smooth_sigma):
            raise ValueError(
                f'smooth_sigma must be a number > 0, got {smooth_sigma!r}')
        super().__init__(alpha=float(alpha))
        self.saliency_size = saliency_size
        self.smooth_kernel = smooth_kernel
        self.smooth_sigma = float(smooth_sigma)

    @torch.no_grad()
    def saliency_map(self, images: torch.Tensor) -> torch.Tensor:
        """Spectral-residual saliency of each image.

        Args:
            images (Tensor): Images of shape ``(N, C, H, W)``.

        Returns:
            Tensor: fp32 saliency of shape ``(N, H, W)``.
        """
        height, width = images.shape[-2:]
        grey = images.float().mean(dim=1, keepdim=True)
        size = self.saliency_size
        if size is not None and (height > size or width > size):
            grey = F.interpolate(grey,
                                 size=(min(height, size), min(width, size)),
                                 mode='bilinear',
                                 align_corners=False)
        pad = self.smooth_kernel // 2
        if min(grey.shape[-2:]) <= max(pad, 1):
            raise ValueError(
                f'saliency needs maps larger than {max(pad, 1)} px per side '
                f'(smooth_kernel={self.smooth_kernel}), got '
                f'{tuple(grey.shape[-2:])}: set saliency_size')
        spectrum = torch.fft.fft2(grey)
        log_amp = torch.log(spectrum.abs().clamp(min=1e-12))
        local = F.avg_pool2d(F.pad(log_amp, (1, 1, 1, 1), mode='reflect'),
                             3,
                             stride=1)
        residual = torch.polar(torch.exp(log_amp - local),
                               torch.angle(spectrum))
        saliency = torch.fft.ifft2(residual).abs()**2
        kernel = _gaussian_kernel(self.smooth_kernel,
                                  self.smooth_sigma).to(saliency.device)
        saliency = F.conv2d(F.pad(saliency, (pad, pad, 0, 0), mode='reflect'),
                            kernel.view(1, 1, 1, -1))
        saliency = F.conv2d(F.pad(saliency, (0, 0, pad, pad), mode='reflect'),
                            kernel.view(1, 1, -1, 1))
        if saliency.shape[-2:] != (height, width):
            saliency = F.interpolate(saliency,
                                     size=(height, width),
                                     mode='bilinear',
                                     align_corners=False)
        return saliency[:, 0]

    def saliency_boxes(
        self, partners: torch.Tensor, lam: float
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """CutMix boxes of area ``1 - lam`` on each image's saliency peak.

        Args:
            partners (Tensor): The images whose content is pasted,
                ``(N, C, H, W)``.
            lam (float): The mixing ratio λ in [0, 1].

        Returns:
            tuple[Tensor]: ``(y1, y2, x1, x2)``, each a long tensor of shape
            ``(N, )``: the box is rows ``y1:y2`` and columns ``x1:x2``,
            already clipped to the image.
        """
        height, width = partners.shape[-2:]
        saliency = self.saliency_map(partners).flatten(1)
        peak = saliency.argmax(dim=1)
        centre_h, centre_w = peak // width, peak % width
        ratio = math.sqrt(1. - lam)
        cut_h, cut_w = int(height * ratio), int(width * ratio)
        y1 = centre_h - cut_h // 2
        x1 = centre_w - cut_w // 2
        return (y1.clamp(0, height), (y1 + cut_h).clamp(0, height),
                x1.clamp(0, width), (x1 + cut_w).clamp(0, width))

    def mix(self, batch_inputs: torch.Tensor,
            batch_scores: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mix ``(N, C, H, W)`` inputs and ``(N, num_classes)`` one-hot
        scores, as :meth:`Mixup.mix`; returns both mixed."""
        lam, index = draw_lam_and_partners(self.alpha, batch_inputs)
        height, width = batch_inputs.shape[-2:]
        y1, y2, x1, x2 = self.saliency_boxes(batch_inputs[index], lam)
        rows = torch.arange(height, device=batch_inputs.device)
        cols = torch.arange(width, device=batch_inputs.device)
        in_rows = (rows >= y1[:, None]) & (rows < y2[:, None])
        in_cols = (cols >= x1[:, None]) & (cols < x2[:, None])
        box = (in_rows[:, :, None] & in_cols[:, None, :]).unsqueeze(1)
        mixed_inputs = torch.where(box, batch_inputs[index], batch_inputs)
        area = ((y2 - y1) *
                (x2 - x1)).to(batch_scores.dtype) / (height * width)
        area = area.unsqueeze(1)
        mixed_scores = (1 - area) * batch_scores + area * batch_scores[index]
        return mixed_inputs, mixed_scores
