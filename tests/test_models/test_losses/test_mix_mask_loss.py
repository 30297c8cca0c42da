# Copyright (c) samix_mm contributors. All rights reserved.
import doctest

import pytest
import torch

from samix_mm.models.losses import MixMaskLoss
from samix_mm.models.losses import mix_mask_loss as mix_mask_loss_module

# partner weights M = mask[:, 1] of N=2 samples of 1x2 pixels
PARTNER = torch.tensor([[[0.2, 0.6]], [[0.4, 1.0]]])
# m̄ = 2.2 / 4 = 0.55; deviations -0.35, 0.05, -0.15, 0.45
MEAN = 0.55
VAR = (0.35**2 + 0.05**2 + 0.15**2 + 0.45**2) / 4  # = 0.0875


def _mask(partner=PARTNER):
    return torch.stack([1 - partner, partner], dim=1)


def test_build_from_registry():
    from samix_mm.utils import register_all_modules
    register_all_modules()
    from samix_mm.registry import MODELS
    loss = MODELS.build(dict(type='MixMaskLoss', margin=0.2))
    assert isinstance(loss, MixMaskLoss)
    assert loss.margin == 0.2
    assert loss.variance_weight == 2.0 and loss.loss_weight == 0.1


def test_l1_plus_variance_by_hand():
    # λ = 0.2: |1 - 0.55 - 0.2| - 0.1 = 0.15;  0.1 · (0.15 - 2 · 0.0875)
    loss = MixMaskLoss(margin=0.1, variance_weight=2.0, loss_weight=0.1)
    out = loss(_mask(), 0.2)
    assert out.dim() == 0
    assert float(out) == pytest.approx(0.1 * (0.15 - 2 * VAR), abs=1e-7)
    assert float(out) == pytest.approx(-0.0025, abs=1e-7)  # not clamped


def test_l1_only_is_automix_loss():
    loss = MixMaskLoss(margin=0.1, variance_weight=0., loss_weight=0.1)
    assert float(loss(_mask(), 0.2)) == pytest.approx(0.015, abs=1e-7)
    # λ-side area 0.45 within 0.1 of λ = 0.5 → no L1 penalty
    assert float(loss(_mask(), 0.5)) == 0.
    # the λ side is mask[:, 0]: λ = 0.7 → |0.45 - 0.7| - 0.1 = 0.15
    assert float(loss(_mask(), 0.7)) == pytest.approx(0.015, abs=1e-7)


def test_margin_and_variance_only():
    loss = MixMaskLoss(margin=0.1, variance_weight=2.0, loss_weight=1.0)
    assert float(loss(_mask(), 1 - MEAN)) == pytest.approx(-2 * VAR)
    # batch-global mean, not per sample: a constant 0.5 mask has Var = 0
    flat = _mask(torch.full((2, 1, 2), 0.5))
    assert float(loss(flat, 0.5)) == 0.
    assert float(loss(flat, 0.9)) == pytest.approx(0.3)


def test_loss_weight_is_annealable():
    loss = MixMaskLoss()
    full = float(loss(_mask(), 0.2))
    loss.loss_weight = 0.05
    assert float(loss(_mask(), 0.2)) == pytest.approx(full / 2)
    loss.loss_weight = 0.
    assert float(loss(_mask(), 0.2)) == 0.


def test_gradient_to_mask():
    mask = _mask().requires_grad_(True)
    MixMaskLoss(variance_weight=2.0)(mask, 0.2).backward()
    assert mask.grad[:, 1].abs().sum() > 0
    assert torch.equal(mask.grad[:, 0], torch.zeros_like(mask.grad[:, 0]))


def test_autocast_bf16():
    loss = MixMaskLoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(_mask(), 0.2)
        out_bf16 = loss(_mask().bfloat16(), 0.2)
    assert out.dtype == torch.float32 and out_bf16.dtype == torch.float32
    assert float(out) == pytest.approx(-0.0025, abs=1e-7)
    assert float(out_bf16) == pytest.approx(-0.0025, abs=1e-3)


def test_bad_inputs():
    with pytest.raises(ValueError, match='margin and variance_weight must'):
        MixMaskLoss(margin=-0.1)
    with pytest.raises(ValueError, match='margin and variance_weight must'):
        MixMaskLoss(variance_weight=-1.)
    loss = MixMaskLoss()
    with pytest.raises(ValueError, match=r'shape \(N, 2, H, W\), got'):
        loss(torch.rand(2, 1, 4, 4), 0.5)
    with pytest.raises(ValueError, match=r'lam must be in \[0, 1\]'):
        loss(_mask(), 1.2)


def test_docstring_example():
    result = doctest.testmod(mix_mask_loss_module, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_lam_bounds_are_accepted():
    loss = MixMaskLoss(margin=0.1, variance_weight=0., loss_weight=1.)
    # λ = 0: |1 - 0.55 - 0| - 0.1;  λ = 1: |0.45 - 1| - 0.1
    assert float(loss(_mask(), 0.)) == pytest.approx(0.35, abs=1e-6)
    assert float(loss(_mask(), 1.)) == pytest.approx(0.45, abs=1e-6)
    with pytest.raises(ValueError, match=r'^lam must be in \[0, 1\], got '
                       r'-0\.1$'):
        loss(_mask(), -0.1)


def test_small_variance_weight_is_used():
    loss = MixMaskLoss(margin=0.1, variance_weight=0.5, loss_weight=1.0)
    assert float(loss(_mask(), 1 - MEAN)) == pytest.approx(-0.5 * VAR)


def test_bad_mask_message():
    with pytest.raises(ValueError, match=r'^mask must have shape '
                       r'\(N, 2, H, W\), got \(2, 1, 4, 4\)$'):
        MixMaskLoss()(torch.rand(2, 1, 4, 4), 0.5)


@pytest.mark.parametrize('margin, variance_weight', [(-0.1, 1.), (0., -1.)])
def test_negative_arguments_message(margin, variance_weight):
    with pytest.raises(ValueError) as info:
        MixMaskLoss(margin=margin, variance_weight=variance_weight)
    assert str(info.value) == ('margin and variance_weight must be >= 0, '
                               f'got {margin} and {variance_weight}')
