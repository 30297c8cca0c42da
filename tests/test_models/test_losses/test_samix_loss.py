# Copyright (c) samix_mm contributors. All rights reserved.
import doctest
import math

import pytest
import torch
import torch.nn.functional as F

from samix_mm.models.losses import SAMixLoss
from samix_mm.models.losses import samix_loss as samix_loss_module

SCORE = torch.tensor([[2., -1., 0.5], [0., 0., -2.]])
TARGET = torch.tensor([[0.6, 0.4, 0.], [0., 1., 0.]])


def _softplus(x):
    return math.log(1 + math.exp(x))


def _by_hand(eta):
    """Per-sample losses: -log σ(z) = softplus(-z), -log(1-σ(z)) = sp(z)."""
    first = (
        0.6 * _softplus(-2.) + 0.4 * _softplus(2.)  # class 0, ỹ=0.6
        + 0.4 * _softplus(1.) + 0.6 * _softplus(-1.)  # class 1, ỹ=0.4
        + eta * _softplus(0.5))  # class 2, negative
    second = (
        _softplus(0.)  # class 1, ỹ=1
        + eta * (_softplus(0.) + _softplus(-2.)))  # classes 0 and 2
    return first, second


def test_build_from_registry():
    from samix_mm.utils import register_all_modules
    register_all_modules()
    from samix_mm.registry import MODELS
    loss = MODELS.build(dict(type='SAMixLoss', eta=0.25, loss_weight=2.))
    assert isinstance(loss, SAMixLoss)
    assert loss.eta == 0.25 and loss.loss_weight == 2.


@pytest.mark.parametrize('eta', [0., 0.5, 1., 2.])
def test_by_hand(eta):
    first, second = _by_hand(eta)
    out = SAMixLoss(eta=eta)(SCORE, TARGET)
    assert out.dim() == 0
    assert float(out) == pytest.approx((first + second) / 2, rel=1e-6)
    per_sample = SAMixLoss(eta=eta)(SCORE, TARGET, reduction_override='none')
    torch.testing.assert_close(per_sample, torch.tensor([first, second]))
    total = SAMixLoss(eta=eta)(SCORE, TARGET, reduction_override='sum')
    assert float(total) == pytest.approx(first + second, rel=1e-6)


def test_eta_changes_loss():
    loss_0 = float(SAMixLoss(eta=0.)(SCORE, TARGET))
    loss_1 = float(SAMixLoss(eta=1.)(SCORE, TARGET))
    assert loss_1 - loss_0 == pytest.approx(
        (_softplus(0.5) + _softplus(0.) + _softplus(-2.)) / 2, rel=1e-6)
    # η = 1 is plain multi-label BCE, summed over classes
    bce = F.binary_cross_entropy_with_logits(SCORE, TARGET, reduction='sum')
    assert loss_1 == pytest.approx(float(bce) / 2, rel=1e-6)


def test_avg_factor_weight_and_loss_weight():
    first, second = _by_hand(0.5)
    loss = SAMixLoss(eta=0.5, loss_weight=3.)
    out = loss(SCORE, TARGET, avg_factor=4)
    assert float(out) == pytest.approx(3 * (first + second) / 4, rel=1e-6)
    out = loss(SCORE, TARGET, weight=torch.tensor([1., 0.]))
    assert float(out) == pytest.approx(3 * first / 2, rel=1e-6)


def test_index_labels_become_one_hot():
    loss = SAMixLoss(eta=0.5)
    labels = torch.tensor([0, 1])
    one_hot = torch.tensor([[1., 0., 0.], [0., 1., 0.]])
    torch.testing.assert_close(loss(SCORE, labels), loss(SCORE, one_hot))


def test_gradient_and_autocast():
    score = SCORE.clone().requires_grad_(True)
    SAMixLoss()(score, TARGET).backward()
    assert score.grad.abs().sum() > 0
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = SAMixLoss()(SCORE.bfloat16(), TARGET)
    assert out.dtype == torch.float32
    assert float(out) == pytest.approx(sum(_by_hand(0.5)) / 2, rel=1e-2)


def test_bad_inputs():
    with pytest.raises(ValueError, match='eta must be >= 0, got -0.1'):
        SAMixLoss(eta=-0.1)
    with pytest.raises(ValueError, match=r'label shape \(2, 4\) does not'):
        SAMixLoss()(SCORE, torch.zeros(2, 4))
    with pytest.raises(ValueError, match='reduction_override must be'):
        SAMixLoss()(SCORE, TARGET, reduction_override='max')


def test_mmpretrain_soft_ce_is_mixup_ce():
    """The classifier branch's loss: λ·CE(a) + (1-λ)·CE(b)."""
    from samix_mm.utils import register_all_modules
    register_all_modules()
    from samix_mm.registry import MODELS
    soft_ce = MODELS.build(dict(type='CrossEntropyLoss', use_soft=True))
    lam = 0.3
    labels_a, labels_b = torch.tensor([0, 2]), torch.tensor([1, 2])
    target = lam * F.one_hot(labels_a, 3) + (1 - lam) * F.one_hot(labels_b, 3)
    out = soft_ce(SCORE, target.float(), avg_factor=2)
    expect = lam * F.cross_entropy(
        SCORE, labels_a) + (1 - lam) * F.cross_entropy(SCORE, labels_b)
    torch.testing.assert_close(out, expect)
    # first row by hand: log-sum-exp minus the mixed logits
    lse = math.log(math.exp(2.) + math.exp(-1.) + math.exp(0.5))
    row0 = lam * (lse - 2.) + (1 - lam) * (lse + 1.)
    lse1 = math.log(2 + math.exp(-2.))
    assert float(out) == pytest.approx((row0 + lse1 + 2.) / 2, rel=1e-6)


def test_docstring_example():
    result = doctest.testmod(samix_loss_module, verbose=False)
    assert result.attempted > 0 and result.failed == 0
