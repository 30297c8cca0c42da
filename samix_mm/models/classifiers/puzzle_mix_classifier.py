# Copyright (c) samix_mm contributors. All rights reserved.
"""PuzzleMix (Kim, Choo, Song, ICML 2020, arXiv 2009.06962)."""
import math
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from samix_mm.registry import MODELS
from ..utils import random_pairing
from ..utils.puzzle_mix_ops import (apply_transport, block_saliency,
                                    graphcut_masks, input_saliency,
                                    local_discontinuity, transport_plan)
from .soft_mix_classifier import SoftMixClassifier


def _is_int(value, low: int) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)
            and value >= low)


def _is_non_negative(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0 <= value < math.inf)


@MODELS.register_module()
class PuzzleMixClassifier(SoftMixClassifier):
    """PuzzleMix: saliency-guided graph-cut masks and block transport.

    At every training step:

    1. **Saliency.** The clean batch goes through the model in eval mode
       (as the original CIFAR code: batch norms use their running
       statistics and are not updated) and the cross-entropy with the
       batch's own labels (``gt_score`` if the samples have it) is
       differentiated w.r.t. the input only
       (:func:`torch.autograd.grad`: no parameter gets a gradient from this
       pass); the saliency of a pixel is the root mean square of that
       gradient over the channels.
    2. **Mask.** ``lam ~ Beta(alpha, alpha)``, a random permutation ``perm``
       of the batch and a grid side ``g`` (uniformly from ``block_num``) are
       drawn; the saliency is averaged over the ``g x g`` blocks and
       normalised per image, and each pair ``(a, perm[a])`` gets the mask
       over the blocks, with ``n_labels`` levels ``0, 1/(n_labels - 1), ...,
       1`` (the weight of image ``a``), that minimises the hidden saliency,
       the prior (``eta``) pulling the levels toward ``lam``, and the
       smoothness between neighbouring blocks (``beta``) with its local
       statistics part (``gamma``, cells of ``neigh_size`` px of the
       de-normalised image in [0, 1]), by alpha-beta-swap graph cuts
       (:func:`~samix_mm.models.utils.puzzle_mix_ops.graphcut_masks`,
       library ``gco-wrapper``).
    3. **Transport** (``transport=True``). On a grid of blocks of
       ``t = min(t_size, H / g)`` px, the blocks of image ``a`` are moved
       so that its salient ones land where the mask shows it, and those of
       ``perm[a]`` where ``1 - mask`` shows it (cost ``t_eps`` times the
       moving distance minus the saliency shown;
       :func:`~samix_mm.models.utils.puzzle_mix_ops.transport_plan`).
    4. **Mixing.** With ``M`` the mask up-sampled (nearest) to the image
       and ``x'`` the transported images::

           x_mix = M * x'_a + (1 - M) * x'_perm[a]
           y_mix = lam_a * y_a + (1 - lam_a) * y_perm[a],  lam_a = mean(M_a)

       and the loss is the head's soft-target loss on ``x_mix`` alone.

    Left out of the original: the clean-input loss (``clean_lam``, 0 in the
    CIFAR recipe), the adversarial perturbation of the inputs (``adv_p``,
    only in the "adversarial PuzzleMix" recipe) and the multiprocessing of
    the graph cuts. Unlike the original transport, which can leave blocks
    empty, every image's blocks are permuted (see ``transport_plan``).

    Images must be square, their side divisible by every ``block_num``.
    The head's loss must take soft targets
    (``CrossEntropyLoss(use_soft=True)``); batch augments are refused.
    Prediction and feature extraction are those of ``ImageClassifier``.

    Args:
        backbone (dict): The backbone config.
        alpha (float): Parameter of ``Beta(alpha, alpha)`` that ``lam`` is
            drawn from. Defaults to 1.0.
        block_num (int | Sequence[int]): Side ``g`` of the mask's block
            grid, or the sides to draw it from uniformly per step; each
            >= 2. Defaults to ``(2, 4, 8, 16)``.
        beta (float): Weight of the smoothness between neighbouring blocks
            (>= 0). Defaults to 1.2.
        gamma (float): Weight of the local statistics, relative to
            ``beta`` (>= 0). Defaults to 0.5.
        eta (float): Weight of the prior toward ``lam`` (>= 0). Defaults
            to 0.2.
        neigh_size (int): Cell side in px of the local statistics (>= 1;
            at most the block side is used). Defaults to 4.
        n_labels (int): Number of mask levels (>= 2). Defaults to 3.
        t_eps (float): Weight of the moving distance in the transport
            (>= 0). Defaults to 0.8.
        t_size (int): Block side in px of the transport (>= 1; at most the
            mask's block side is used). Defaults to 4.
        transport (bool): Whether to transport blocks. Defaults to True.
        **kwargs: ``neck``, ``head`` (soft-target loss), ``pretrained``,
            ``train_cfg``, ``data_preprocessor``, ``init_cfg`` of
            :class:`SoftMixClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 alpha: float = 1.0,
                 block_num: Union[int, Sequence[int]] = (2, 4, 8, 16),
                 beta: float = 1.2,
                 gamma: float = 0.5,
                 eta: float = 0.2,
                 neigh_size: int = 4,
                 n_labels: int = 3,
                 t_eps: float = 0.8,
                 t_size: int = 4,
                 transport: bool = True,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, alpha=alpha, **kwargs)
        grids = (block_num, ) if _is_int(block_num, 2) else (
            tuple(block_num) if isinstance(block_num, (list, tuple)) else ())
        if not grids or not all(_is_int(g, 2) for g in grids):
            raise ValueError(
                'block_num must be an int >= 2 or a non-empty tuple of them '
                f'(mask grid sides, one drawn per step), got {block_num!r}')
        for name, value in (('beta', beta), ('gamma', gamma), ('eta', eta),
                            ('t_eps', t_eps)):
            if not _is_non_negative(value):
                raise ValueError(
                    f'{name} must be a number >= 0, got {value!r}')
        if not _is_int(neigh_size, 1):
            raise ValueError(
                f'neigh_size must be an int >= 1 (px), got {neigh_size!r}')
        if not _is_int(n_labels, 2):
            raise ValueError(
                f'n_labels must be an int >= 2, got {n_labels!r}')
        if not _is_int(t_size, 1):
            raise ValueError(
                f't_size must be an int >= 1 (px), got {t_size!r}')
        if not isinstance(transport, bool):
            raise ValueError(
                f'transport must be True or False, got {transport!r}')
        self.block_num = grids
        self.beta = float(beta)
        self.gamma = float(gamma)
        self.eta = float(eta)
        self.neigh_size = neigh_size
        self.n_labels = n_labels
        self.t_eps = float(t_eps)
        self.t_size = t_size
        self.transport = transport

    def saliency(self, inputs: torch.Tensor,
                 scores: torch.Tensor) -> torch.Tensor:
        """Pixel saliency of the clean batch (step 1), in eval mode.

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``.
            scores (Tensor): Their targets ``(N, num_classes)``.

        Returns:
            Tensor: Shape ``(N, H, W)``, no gradient; no parameter's
            ``.grad`` is touched.
        """
        scores = scores.to(inputs.device)

        def loss_fn(images):
            logits = self.head(self.extract_feat(images)).float()
            return -(scores * F.log_softmax(logits, 1)).sum(1).mean()

        was_training = self.training
        self.eval()
        try:
            return input_saliency(loss_fn, inputs)
        finally:
            self.train(was_training)

    def pixels01(self, inputs: torch.Tensor) -> torch.Tensor:
        """The images de-normalised to [0, 1] by the data preprocessor's
        mean and std (divided by 255 only if it does not normalise)."""
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            inputs = inputs * pre.std + pre.mean
        return inputs / 255.

    def _check_sizes(self, shape: Tuple[int, ...], grid: int) -> None:
        height, width = shape[-2:]
        if height != width or height % grid:
            raise ValueError(
                'PuzzleMixClassifier needs square images whose side is '
                f'divisible by block_num {grid}, got {height}x{width}')
        block = height // grid
        for name, value in (('neigh_size', self.neigh_size),
                            ('t_size', self.t_size)):
            if block % min(value, block):
                raise ValueError(
                    f'{name}={value} must divide the block side {block} px '
                    f'(block_num {grid}): change {name} or block_num')

    @torch.no_grad()
    def puzzle_masks(
        self, inputs: torch.Tensor, saliency: torch.Tensor, lam: float,
        index: torch.Tensor, grid: int
    ) -> Tuple[torch.Tensor, Optional[Tuple[torch.Tensor, torch.Tensor,
                                             int]]]:
        """The graph-cut masks and the transport plans (steps 2 and 3).

        Args:
            inputs (Tensor): Images of shape ``(N, C, H, W)``.
            saliency (Tensor): Their pixel saliency ``(N, H, W)``.
            lam (float): λ of the mask's prior.
            index (Tensor): Partner of each sample ``(N, )``.
            grid (int): Side of the mask's block grid.

        Returns:
            tuple: The masks at the block grid ``(N, grid, grid)`` (weight
            of each sample's own image) and, if ``transport``, the plans of
            the own images and of the partners (``transport_plan``: source
            block of each destination block, ``(N, t^2)``) with the
            transport grid side ``t``; else None.
        """
        self._check_sizes(inputs.shape, grid)
        side = inputs.size(-1)
        sal = block_saliency(saliency, grid)
        disc_v, disc_h = local_discontinuity(
            self.pixels01(inputs), index, grid, self.neigh_size)
        mask = graphcut_masks(sal, sal[index], lam, self.beta, self.gamma,
                              self.eta, self.n_labels, disc_v,
                              disc_h).to(inputs.dtype)
        if not self.transport:
            return mask, None
        t_grid = side // min(self.t_size, side // grid)
        mask_t = F.interpolate(mask[:, None], size=(t_grid, t_grid),
                               mode='nearest')[:, 0]
        sal_t = sal if t_grid == grid else block_saliency(saliency, t_grid)
        own_plan = transport_plan(mask_t, sal_t, self.t_eps)
        partner_plan = transport_plan(1. - mask_t, sal_t[index], self.t_eps)
        return mask, (own_plan, partner_plan, t_grid)

    @torch.no_grad()
    def puzzle_mix(self, inputs: torch.Tensor, saliency: torch.Tensor,
                   lam: float, index: torch.Tensor,
                   grid: int) -> Tuple[torch.Tensor, torch.Tensor,
                                       torch.Tensor]:
        """Mask, transport and mix a batch (steps 2 to 4).

        Args:
            inputs, saliency, lam, index, grid: As :meth:`puzzle_masks`.

        Returns:
            tuple[Tensor]: The mixed images ``(N, C, H, W)``, the pixel mask
            ``(N, 1, H, W)`` (weight of each sample's own image) and its
            mean per sample ``(N, )``, the label weight.
        """
        mask, plans = self.puzzle_masks(inputs, saliency, lam, index, grid)
        own, partner = inputs, inputs[index]
        if plans is not None:
            own_plan, partner_plan, t_grid = plans
            own = apply_transport(own, own_plan, t_grid)
            partner = apply_transport(partner, partner_plan, t_grid)
        pixel_mask = F.interpolate(mask[:, None],
                                   size=tuple(inputs.shape[-2:]),
                                   mode='nearest')
        mixed = pixel_mask * own + (1. - pixel_mask) * partner
        return mixed, pixel_mask, pixel_mask.flatten(1).mean(1)

    def mix_forward(self, inputs: torch.Tensor,
                    data_samples: List[DataSample]) -> tuple:
        """Saliency, λ, grid side and partners, then :meth:`puzzle_mix`;
        the label weight of each sample is its mask's mean."""
        saliency = self.saliency(inputs, self.target_scores(data_samples))
        lam = float(np.random.beta(self.alpha, self.alpha))
        grid = self.block_num[np.random.randint(len(self.block_num))]
        index = random_pairing(inputs.size(0), device=inputs.device)
        mixed, _, lam_mix = self.puzzle_mix(inputs, saliency, lam, index,
                                            grid)
        return self.extract_feat(mixed), lam_mix, index
