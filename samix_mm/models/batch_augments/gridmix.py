# Copyright (c) samix_mm contributors. All rights reserved.
"""GridMix: mixing by a random grid of cells taken from the partner."""
from typing import Sequence, Tuple, Union

import numpy as np
import torch
from mmpretrain.models.utils.batch_augments import Mixup

from samix_mm.registry import BATCH_AUGMENTS
from ..utils import draw_lam_and_partners, is_positive_number


def _holes_range(n_holes: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``n_holes`` as an inclusive ``(low, high)`` range of ints >= 1."""
    values = [n_holes] if not isinstance(n_holes,
                                         (list, tuple)) else list(n_holes)
    if len(values) not in (1, 2) or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1
            for v in values) or values[0] > values[-1]:
        raise ValueError('n_holes must be an int >= 1 or a (low, high) pair '
                         f'of such ints with low <= high, got {n_holes!r}')
    return values[0], values[-1]


@BATCH_AUGMENTS.register_module()
class GridMix(Mixup):
    r"""GridMix batch augmentation: a random grid of partner cells.

    After GridMix of `GridMix: Strong regularization through local context
    mapping <https://www.sciencedirect.com/science/article/pii/
    S0031320320303976>`_ (Baek et al., Pattern Recognition 2021), mixing
    part only (the paper's local context-mapping loss is not part of a
    batch augment). Like mmpretrain's :class:`Mixup` it is a callable for
    ``model.train_cfg.augments`` of an ``ImageClassifier``.

    What is implemented, precisely. Per batch, :math:`\lambda \sim
    Beta(\alpha, \alpha)`, a random pairing :math:`j = \pi(i)` and the grid
    size :math:`n` (``n_holes``, or uniform over its inclusive range) are
    drawn. The ``H x W`` image is cut into :math:`n \times n` cells: pixel
    :math:`(h, w)` lies in cell :math:`(\lfloor hn/H \rfloor, \lfloor wn/W
    \rfloor)` (cells differ by at most one pixel per side when :math:`n`
    does not divide the size). For every sample :math:`i` and cell
    :math:`c` independently, :math:`b_{i,c} \sim Bernoulli(\lambda)`; the
    mask :math:`m_i` is :math:`b_{i,c}` on the pixels of cell :math:`c`
    (1: the sample keeps its pixels, 0: they come from the partner), so

    .. math::
        \tilde x_i = m_i \odot x_i + (1 - m_i) \odot x_j, \quad
        \tilde y_i = a_i\, y_i + (1 - a_i)\, y_j, \quad
        a_i = \frac{1}{HW} \sum_{h, w} m_i(h, w),

    and :math:`E[a_i] = \lambda`: each cell is taken from the partner with
    probability :math:`1 - \lambda`, whatever the cell sizes. The label
    weight :math:`a_i` is the actual area, not :math:`\lambda`.

    Note:
        OpenMixup's ``gridmix`` function is a different, GridMask-like
        mask: a regular lattice of square holes of side :math:`\sqrt{1 -
        \lambda}` times the lattice pitch, inside a random crop, one mask
        per batch. This class implements the random-cell variant above.

    Args:
        alpha (float): :math:`\alpha` of :math:`Beta(\alpha, \alpha)`, the
            distribution of :math:`\lambda`. Must be > 0.
        n_holes (int | Sequence[int]): Cells per side :math:`n`, or an
            inclusive ``(low, high)`` range it is drawn from per batch.
            Each value must be >= 1 and at most the image's height and
            width. Defaults to 4.

    Example:
        >>> model = dict(train_cfg=dict(augments=dict(
        ...     type='GridMix', alpha=0.2, n_holes=4)))
    """

    def __init__(self, alpha: float, n_holes: Union[int, Sequence[int]] = 4):
        if not is_positive_number(alpha):
            raise ValueError(f'alpha must be a number > 0, got {alpha!r}')
        super().__init__(alpha=float(alpha))
        self.n_holes = _holes_range(n_holes)

    def make_mask(self,
                  num: int,
                  img_shape: Tuple[int, int],
                  lam: float,
                  n_holes: int,
                  device: torch.device = None) -> torch.Tensor:
        """Random grid masks, 1 where the sample keeps its own pixels.

        Args:
            num (int): How many masks (one per sample).
            img_shape (tuple[int, int]): Their size ``(H, W)``.
            lam (float): The mixing ratio λ in [0, 1], the probability that
                a cell keeps the sample's pixels.
            n_holes (int): Cells per side.
            device (torch.device, optional): Where to make them.

        Returns:
            Tensor: fp32 masks of shape ``(num, 1, H, W)``.
        """
        height, width = img_shape
        if n_holes > min(height, width):
            raise ValueError(f'n_holes={n_holes} cells per side do not fit '
                             f'{height}x{width} images')
        keep = (torch.rand(num, n_holes, n_holes, device=device) < lam).float()
        rows = torch.arange(height, device=device) * n_holes // height
        cols = torch.arange(width, device=device) * n_holes // width
        return keep[:, rows][:, :, cols].unsqueeze(1)

    def mix(self, batch_inputs: torch.Tensor,
            batch_scores: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mix ``(N, C, H, W)`` inputs and ``(N, num_classes)`` one-hot
        scores, as :meth:`Mixup.mix`; returns both mixed."""
        lam, index = draw_lam_and_partners(self.alpha, batch_inputs)
        n_holes = int(np.random.randint(self.n_holes[0], self.n_holes[1] + 1))
        num = batch_inputs.size(0)
        mask = self.make_mask(num, tuple(batch_inputs.shape[-2:]), lam,
                              n_holes, batch_inputs.device)
        area = mask.mean(dim=(1, 2, 3)).unsqueeze(1).to(batch_scores.dtype)
        mask = mask.to(batch_inputs.dtype)
        mixed_inputs = batch_inputs * mask + batch_inputs[index] * (1 - mask)
        mixed_scores = area * batch_scores + (1 - area) * batch_scores[index]
        return mixed_inputs, mixed_scores
