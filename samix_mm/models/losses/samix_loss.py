# Copyright (c) samix_mm contributors. All rights reserved.
"""The η-balanced mixup loss that trains the SAMix Mixer."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss
from torch import nn

from samix_mm.registry import MODELS

#: A class with a target above this is one of the two mixed classes.
MIXED_THR = 1e-3
FORMS = ('bce', 'decoupled')


def _bce_form(score: torch.Tensor, target: torch.Tensor,
              mixed: torch.Tensor, eta: float) -> torch.Tensor:
    """Per-sample BCE: mixed classes summed, non-mixed averaged times η."""
    bce = F.binary_cross_entropy_with_logits(score, target, reduction='none')
    local = (bce * mixed).sum(dim=-1)
    others = (~mixed).float()
    num_others = others.sum(dim=-1).clamp(min=1.)
    return local + eta * (bce * others).sum(dim=-1) / num_others


def _decoupled_form(score: torch.Tensor, target: torch.Tensor,
                    mixed: torch.Tensor, eta: float) -> torch.Tensor:
    """Per-sample mixup CE plus η times the global-discrimination term."""
    mixup_ce = -(target * score.log_softmax(dim=-1)).sum(dim=-1)
    # -log(e^{z_i} / (e^{z_i} + sum_{c not mixed} e^{z_c})) for each mixed
    # i, i.e. softplus(logsumexp_{c not mixed} z_c - z_i)
    others = score.masked_fill(mixed, float('-inf')).logsumexp(dim=-1)
    glob = F.softplus(others[:, None] - score) * mixed
    two_classes = mixed.sum(dim=-1) >= 2  # coinciding labels: plain CE
    return mixup_ce + eta * glob.sum(dim=-1) * two_classes


@MODELS.register_module()
class SAMixLoss(nn.Module):
    """η-balanced mixup loss of the SAMix Mixer, in two forms.

    From `Boosting Discriminative Visual Representation Learning with
    Scenario-Agnostic Mixup <https://arxiv.org/abs/2111.15454>`_: the
    Mixer's samples should keep the two mixed classes a and b smooth (local
    term) while staying discriminable from every other class (global term,
    weighted by η). Logits z, soft target ỹ = λ·e_a + (1-λ)·e_b, σ the
    sigmoid, O the classes with ỹ_c ≤ 1e-3 (not mixed).

    ``form='bce'`` — binary cross-entropy per class; the mixed classes'
    terms are summed, the other classes' terms are *averaged* over O:

    .. math::
        \\ell = \\sum_{c \\in \\{a,b\\}} \\mathrm{BCE}(z_c, ỹ_c)
            - \\frac{η}{|O|} \\sum_{c \\in O} \\log(1 - σ(z_c))

    Averaging the negatives keeps the scale independent of the number of
    classes C ((2 + η)·log 2 at zero logits for any C; summing them, as a
    plain multi-label BCE does, gives ≈ 35 at C = 100 and ≈ 350 at C = 1000
    for η = 0.5), so η weighs the average non-mixed class against the
    mixed pair and the balance with the mask loss does not depend on C.

    ``form='decoupled'`` — mixup soft cross-entropy plus, for each mixed
    class, a softmax over that class and the non-mixed classes only (the
    other mixed class removed):

    .. math::
        \\ell = -\\sum_c ỹ_c \\log \\mathrm{softmax}(z)_c
            - η \\sum_{i \\in \\{a,b\\}} \\log
              \\frac{e^{z_i}}{e^{z_i} + \\sum_{c \\in O} e^{z_c}}

    Both terms are invariant to adding a constant to all logits, so unlike
    the BCE form no gradient is spent on the common mode, which a softmax
    classifier cannot see; rows with one mixed class (a sample paired with
    itself or with its own class) get the mixup CE only.

    η = 0 reduces either form to its local part (for ``decoupled``: plain
    mixup CE). Losses are averaged over samples (or divided by
    ``avg_factor``).

    Args:
        eta (float): η, weight of the global-discrimination term.
            Defaults to 0.5.
        form (str): ``'bce'`` or ``'decoupled'``. Defaults to 'decoupled'.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> import torch
        >>> score = torch.zeros(1, 4)
        >>> target = torch.tensor([[0.7, 0.3, 0., 0.]])
        >>> bce = SAMixLoss(eta=0.5, form='bce')
        >>> round(float(bce(score, target)), 4)  # (2 + 0.5) * log(2)
        1.7329
        >>> dec = SAMixLoss(eta=0.5, form='decoupled')
        >>> round(float(dec(score, target)), 4)  # log 4 + 0.5 * 2 * log 3
        2.4849
    """

    def __init__(self,
                 eta: float = 0.5,
                 form: str = 'decoupled',
                 loss_weight: float = 1.0):
        super().__init__()
        if eta < 0:
            raise ValueError(f'eta must be >= 0, got {eta}')
        if form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {form!r}")
        self.eta = eta
        self.form = form
        self.loss_weight = loss_weight

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Compute the loss (the call signature of mmpretrain losses).

        Args:
            cls_score (Tensor): Logits of shape ``(N, C)``.
            label (Tensor): Soft targets ``(N, C)`` or class indices
                ``(N, )``.
            weight (Tensor, optional): Sample weights of shape ``(N, )``.
            avg_factor (float, optional): Divisor of the summed loss for
                ``mean`` reduction; None means N.
            reduction_override (str, optional): ``none``, ``mean`` or
                ``sum``. Defaults to ``mean``.

        Returns:
            Tensor: The loss; per sample ``(N, )`` for ``none``, else a
            scalar.
        """
        reduction = reduction_override or 'mean'
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError('reduction_override must be none, mean or sum, '
                             f'got {reduction_override}')
        score = cls_score.float()
        if label.dim() == 1:
            label = F.one_hot(label.long(), score.size(-1))
        if label.shape != score.shape:
            raise ValueError(
                f'label shape {tuple(label.shape)} does not match cls_score '
                f'{tuple(score.shape)}; give (N, C) targets or (N, ) indices')
        target = label.float()
        mixed = target > MIXED_THR
        form = _bce_form if self.form == 'bce' else _decoupled_form
        loss = form(score, target, mixed, self.eta)
        if weight is not None:
            weight = weight.float()
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss
