# Copyright (c) samix_mm contributors. All rights reserved.
import doctest
import math

import pytest
import torch
import torch.nn.functional as F

from samix_mm.models.losses import SAMixLoss
from samix_mm.models.losses import samix_loss as samix_loss_module

# row 0: classes 0/1 mixed (0.6/0.4); row 1: one class (a sample paired
# with its own class); row 2: classes 0/2 mixed (0.25/0.75)
SCORE = torch.tensor([[2., -1., 0.5, 1.5], [0., 0., -2., 1.],
                      [1., 3., -1., 0.]])
TARGET = torch.tensor([[0.6, 0.4, 0., 0.], [0., 1., 0., 0.],
                       [0.25, 0., 0.75, 0.]])


def sp(x):
    """softplus: -log σ(-x) = -log(1 - σ(x)) = log(1 + e^x)."""
    return math.log1p(math.exp(x))


def lse(*xs):
    return math.log(sum(math.exp(x) for x in xs))


def bce_by_hand(eta):
    """BCE(z, t) = t·sp(-z) + (1-t)·sp(z); negatives averaged, times η."""
    row0 = (0.6 * sp(-2.) + 0.4 * sp(2.) + 0.4 * sp(1.) + 0.6 * sp(-1.)
            + eta * (sp(0.5) + sp(1.5)) / 2)
    row1 = sp(0.) + eta * (sp(0.) + sp(-2.) + sp(1.)) / 3
    row2 = (0.25 * sp(-1.) + 0.75 * sp(1.) + 0.75 * sp(1.) + 0.25 * sp(-1.)
            + eta * (sp(3.) + sp(0.)) / 2)
    return [row0, row1, row2]


def decoupled_by_hand(eta):
    """Mixup CE + η·Σ_i -log(e^{z_i} / (e^{z_i} + Σ_{c∉{a,b}} e^{z_c}))."""
    row0 = (lse(2., -1., .5, 1.5) - (0.6 * 2. - 0.4 * 1.)
            + eta * (math.log(1 + (math.exp(.5) + math.exp(1.5)) /
                              math.exp(2.)) +
                     math.log(1 + (math.exp(.5) + math.exp(1.5)) /
                              math.exp(-1.))))
    row1 = lse(0., 0., -2., 1.) - 0.  # one mixed class: plain CE
    row2 = (lse(1., 3., -1., 0.) - (0.25 * 1. - 0.75 * 1.)
            + eta * (math.log(1 + (math.exp(3.) + 1.) / math.exp(1.)) +
                     math.log(1 + (math.exp(3.) + 1.) / math.exp(-1.))))
    return [row0, row1, row2]


BY_HAND = dict(bce=bce_by_hand, decoupled=decoupled_by_hand)


def test_build_from_registry():
    from samix_mm.utils import register_all_modules
    register_all_modules()
    from samix_mm.registry import MODELS
    loss = MODELS.build(dict(type='SAMixLoss', eta=0.25, form='bce',
                             loss_weight=2.))
    assert isinstance(loss, SAMixLoss)
    assert (loss.eta, loss.form, loss.loss_weight) == (0.25, 'bce', 2.)


@pytest.mark.parametrize('form', ['bce', 'decoupled'])
@pytest.mark.parametrize('eta', [0., 0.5, 1., 2.])
def test_by_hand(form, eta):
    rows = BY_HAND[form](eta)
    loss = SAMixLoss(eta=eta, form=form)
    out = loss(SCORE, TARGET)
    assert out.dim() == 0
    assert float(out) == pytest.approx(sum(rows) / 3, rel=1e-6)
    per_sample = loss(SCORE, TARGET, reduction_override='none')
    torch.testing.assert_close(per_sample, torch.tensor(rows))
    total = loss(SCORE, TARGET, reduction_override='sum')
    assert float(total) == pytest.approx(sum(rows), rel=1e-6)


def test_decoupled_without_eta_is_mixup_ce():
    """η = 0: exactly mmpretrain's soft CE (the η-off ablation)."""
    from mmpretrain.models.losses import CrossEntropyLoss
    soft_ce = CrossEntropyLoss(use_soft=True)
    torch.testing.assert_close(
        SAMixLoss(eta=0., form='decoupled')(SCORE, TARGET),
        soft_ce(SCORE, TARGET, avg_factor=3))


@pytest.mark.parametrize('num_classes', [10, 100, 1000])
def test_bce_scale_does_not_grow_with_classes(num_classes):
    """(2 + η)·log 2 at zero logits, whatever C (a sum would be ~C·η)."""
    target = torch.zeros(2, num_classes)
    target[:, 0], target[:, 1] = 0.7, 0.3
    out = SAMixLoss(eta=0.5, form='bce')(torch.zeros(2, num_classes), target)
    assert float(out) == pytest.approx(2.5 * math.log(2), rel=1e-6)


def test_decoupled_is_shift_invariant_bce_is_not():
    shift = SCORE + torch.tensor([[5.], [-3.], [2.]])
    dec = SAMixLoss(eta=0.5, form='decoupled')
    torch.testing.assert_close(dec(shift, TARGET), dec(SCORE, TARGET))
    bce = SAMixLoss(eta=0.5, form='bce')
    assert abs(float(bce(shift, TARGET) - bce(SCORE, TARGET))) > 0.1
    # hence no gradient along the common mode: every row's grad sums to 0
    score = SCORE.clone().requires_grad_(True)
    dec(score, TARGET).backward()
    torch.testing.assert_close(score.grad.sum(dim=1), torch.zeros(3),
                               atol=1e-6, rtol=0)
    assert score.grad.abs().sum() > 0


def test_eta_pushes_the_other_classes_away():
    """The global term's gradient lowers the non-mixed logits and raises
    the mixed ones, beyond what the mixup CE does."""
    grads = {}
    for eta in (0., 1.):
        score = SCORE[:1].clone().requires_grad_(True)
        SAMixLoss(eta=eta, form='decoupled')(score, TARGET[:1]).backward()
        grads[eta] = score.grad[0]
    extra = grads[1.] - grads[0.]
    assert (extra[:2] < 0).all() and (extra[2:] > 0).all()


@pytest.mark.parametrize('form', ['bce', 'decoupled'])
def test_avg_factor_weight_and_loss_weight(form):
    rows = BY_HAND[form](0.5)
    loss = SAMixLoss(eta=0.5, form=form, loss_weight=3.)
    out = loss(SCORE, TARGET, avg_factor=4)
    assert float(out) == pytest.approx(3 * sum(rows) / 4, rel=1e-6)
    out = loss(SCORE, TARGET, weight=torch.tensor([1., 0., 0.]))
    assert float(out) == pytest.approx(3 * rows[0] / 3, rel=1e-6)


@pytest.mark.parametrize('form', ['bce', 'decoupled'])
def test_index_labels_become_one_hot(form):
    loss = SAMixLoss(eta=0.5, form=form)
    labels = torch.tensor([0, 1, 3])
    torch.testing.assert_close(loss(SCORE, labels),
                               loss(SCORE, F.one_hot(labels, 4).float()))


@pytest.mark.parametrize('form', ['bce', 'decoupled'])
def test_gradient_and_autocast(form):
    score = SCORE.clone().requires_grad_(True)
    SAMixLoss(form=form)(score, TARGET).backward()
    assert score.grad.abs().sum() > 0
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = SAMixLoss(form=form)(SCORE.bfloat16(), TARGET)
    assert out.dtype == torch.float32
    assert float(out) == pytest.approx(sum(BY_HAND[form](0.5)) / 3,
                                       rel=1e-2)


def test_bad_inputs():
    with pytest.raises(ValueError, match='eta must be >= 0, got -0.1'):
        SAMixLoss(eta=-0.1)
    with pytest.raises(ValueError, match="form must be one of .* 'sum'"):
        SAMixLoss(form='sum')
    with pytest.raises(ValueError, match=r'label shape \(3, 5\) does not'):
        SAMixLoss()(SCORE, torch.zeros(3, 5))
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
    target = lam * F.one_hot(labels_a, 4) + (1 - lam) * F.one_hot(labels_b, 4)
    out = soft_ce(SCORE[:2], target.float(), avg_factor=2)
    expect = lam * F.cross_entropy(
        SCORE[:2], labels_a) + (1 - lam) * F.cross_entropy(SCORE[:2],
                                                           labels_b)
    torch.testing.assert_close(out, expect)


def test_docstring_example():
    result = doctest.testmod(samix_loss_module, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_bce_one_other_class_is_not_halved():
    """Three classes, two mixed: the single non-mixed class's BCE is
    averaged over |O| = 1 (the clamp only guards |O| = 0)."""
    score = torch.tensor([[1., -0.5, 2.]])
    target = torch.tensor([[0.6, 0.4, 0.]])
    loss = SAMixLoss(eta=0.5, form='bce')(score, target)
    expected = (0.6 * sp(-1.) + 0.4 * sp(1.) + 0.4 * sp(0.5) +
                0.6 * sp(-0.5) + 0.5 * sp(2.))
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    # two classes, both mixed: no other class at all, the local term only
    score = torch.tensor([[1., -0.5]])
    target = torch.tensor([[0.6, 0.4]])
    loss = SAMixLoss(eta=0.5, form='bce')(score, target)
    expected = 0.6 * sp(-1.) + 0.4 * sp(1.) + 0.4 * sp(0.5) + 0.6 * sp(-0.5)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_index_labels_need_not_cover_all_classes():
    score = torch.tensor([[1., 0., -1., 2.], [0., 1., 0.5, 0.]])
    label = torch.tensor([0, 1])  # classes 2 and 3 never appear
    for form in ('bce', 'decoupled'):
        loss = SAMixLoss(form=form)
        torch.testing.assert_close(
            loss(score, label), loss(score, F.one_hot(label, 4).float()))


def test_threshold_class_is_not_mixed():
    """A target of exactly 1e-3 is not a mixed class (ỹ_c ≤ 1e-3)."""
    score = torch.tensor([[1., 0.5, -1., 2.]])
    target = torch.tensor([[0.999, 0.001, 0., 0.]])
    loss = SAMixLoss(eta=0.5, form='decoupled')(score, target)
    ce = -(target * score.log_softmax(dim=1)).sum()
    torch.testing.assert_close(loss, ce)  # one mixed class: no global term


def test_bad_reduction_message():
    with pytest.raises(ValueError, match=r'^reduction_override must be none, '
                       r'mean or sum, got max$'):
        SAMixLoss()(SCORE, TARGET, reduction_override='max')
