# Copyright (c) samix_mm contributors. All rights reserved.
import math

import pytest

from samix_mm.engine.hooks import cosine_momentum


def test_cosine_momentum_schedule():
    base, end, total = 0.999, 0.999999, 1000
    # constant during the first 10 %
    assert cosine_momentum(base, end, 0, total) == base
    assert cosine_momentum(base, end, 99, total) == base
    # from 10 % on: end - (end - base) * (cos(pi t / T) + 1) / 2
    t = 100
    expected = end - (end - base) * (math.cos(math.pi * t / total) + 1) / 2
    assert cosine_momentum(base, end, t, total) == pytest.approx(expected)
    assert expected > base  # the documented small jump at 10 %
    assert cosine_momentum(base, end, total, total) == pytest.approx(end)
    values = [cosine_momentum(base, end, t, total) for t in range(total)]
    assert all(b >= a for a, b in zip(values, values[1:]))


# --------------------------------------------------------------------- #
# the hooks themselves, on a stub runner                                  #
# --------------------------------------------------------------------- #
from types import SimpleNamespace  # noqa: E402

from torch import nn  # noqa: E402

from samix_mm.engine.hooks import (MaskLossAnnealHook,  # noqa: E402
                                   SAMixMomentumHook)
from samix_mm.models.losses import MixMaskLoss  # noqa: E402


class StubModel(nn.Module):
    """What the hooks need of a SAMix model; counts EMA updates."""

    def __init__(self, momentum=0.99, loss_weight=0.1):
        super().__init__()
        self.momentum = self.base_momentum = momentum
        self.mask_loss = MixMaskLoss(loss_weight=loss_weight)
        self.updates = []

    def momentum_update(self):
        self.updates.append(self.momentum)


def runner_of(model, it=0, max_iters=100, wrap=False):
    # nn.DataParallel is a registered mmengine model wrapper; on CPU it
    # just holds the module
    return SimpleNamespace(model=nn.DataParallel(model) if wrap else model,
                           iter=it, max_iters=max_iters)


def test_momentum_hook_defaults_and_validation():
    hook = SAMixMomentumHook()
    assert hook.end_momentum is None and hook.start_ratio == 0.1
    assert SAMixMomentumHook.priority == 'NORMAL'
    for end in (0., 0.5, 1.):  # bounds included
        assert SAMixMomentumHook(end_momentum=end).end_momentum == end
    for end in (-0.01, 1.01):
        with pytest.raises(ValueError, match=r'end_momentum must be in'):
            SAMixMomentumHook(end_momentum=end)
    assert SAMixMomentumHook(start_ratio=0.3).start_ratio == 0.3


@pytest.mark.parametrize('wrap', [False, True])
def test_momentum_hook_sets_scheduled_momentum(wrap):
    model = StubModel(momentum=0.99)
    hook = SAMixMomentumHook(end_momentum=1., start_ratio=0.2)
    for it, expected in ((0, 0.99), (19, 0.99), (20, None), (60, None),
                         (99, None)):
        hook.before_train_iter(runner_of(model, it, 100, wrap), it)
        if expected is None:
            expected = 1. - 0.01 * (math.cos(math.pi * it / 100) + 1) / 2
        assert model.momentum == pytest.approx(expected, abs=1e-12), it
        assert model.base_momentum == 0.99  # the base is never moved
    # the default start_ratio is 0.1
    hook = SAMixMomentumHook(end_momentum=1.)
    hook.before_train_iter(runner_of(model, 10, 100, wrap), 10)
    assert model.momentum == pytest.approx(
        1. - 0.01 * (math.cos(math.pi * 0.1) + 1) / 2, abs=1e-12)
    hook.before_train_iter(runner_of(model, 9, 100, wrap), 9)
    assert model.momentum == 0.99


@pytest.mark.parametrize('wrap', [False, True])
def test_momentum_hook_without_end_keeps_momentum(wrap):
    model = StubModel(momentum=0.99)
    model.momentum = 0.5  # whatever the model has is kept
    SAMixMomentumHook().before_train_iter(runner_of(model, 50, 100, wrap),
                                          50)
    assert model.momentum == 0.5


@pytest.mark.parametrize('wrap', [False, True])
def test_momentum_hook_updates_after_each_iter(wrap):
    model = StubModel(momentum=0.9)
    hook = SAMixMomentumHook()
    runner = runner_of(model, 3, 10, wrap)
    hook.after_train_iter(runner, 3)
    hook.after_train_iter(runner, 4)
    assert model.updates == [0.9, 0.9]


@pytest.mark.parametrize('missing', ['momentum', 'base_momentum',
                                     'momentum_update'])
def test_momentum_hook_refuses_other_models(missing):
    class Partial(nn.Module):
        pass

    model = Partial()
    for attr in ('momentum', 'base_momentum', 'momentum_update'):
        if attr != missing:
            setattr(model, attr, 0.9)
    with pytest.raises(TypeError,
                       match=rf'needs a model with `{missing}`; Partial has'):
        SAMixMomentumHook().before_train_iter(runner_of(model), 0)
    with pytest.raises(TypeError, match=rf'`{missing}`; Partial has none'):
        SAMixMomentumHook().after_train_iter(runner_of(model), 0)


def test_anneal_hook_defaults():
    hook = MaskLossAnnealHook()
    assert hook.min_weight == 0. and hook.base_weight is None
    assert MaskLossAnnealHook.priority == 'NORMAL'


@pytest.mark.parametrize('wrap', [False, True])
def test_anneal_hook_cosine_from_base_to_min(wrap):
    model = StubModel(loss_weight=0.1)
    hook = MaskLossAnnealHook(min_weight=0.02)
    hook.before_train(runner_of(model, 0, 100, wrap))
    assert hook.loss is model.mask_loss and hook.base_weight == 0.1
    for it in (0, 25, 50, 75, 100):
        hook.before_train_iter(runner_of(model, it, 100, wrap), it)
        expected = 0.02 + 0.08 * (1 + math.cos(math.pi * it / 100)) / 2
        assert model.mask_loss.loss_weight == pytest.approx(expected,
                                                            abs=1e-12)
    assert model.mask_loss.loss_weight == pytest.approx(0.02)
    # default min_weight is 0: the weight ends at exactly 0
    model = StubModel(loss_weight=0.3)
    hook = MaskLossAnnealHook()
    hook.before_train(runner_of(model, 0, 10, wrap))
    hook.before_train_iter(runner_of(model, 10, 10, wrap), 10)
    assert model.mask_loss.loss_weight == pytest.approx(0., abs=1e-12)
    hook.before_train_iter(runner_of(model, 5, 10, wrap), 5)
    assert model.mask_loss.loss_weight == pytest.approx(0.15)


def test_anneal_hook_keeps_base_weight_on_second_train():
    """A second before_train (e.g. a resumed runner) must not take the
    already annealed weight as the new base."""
    model = StubModel(loss_weight=0.1)
    hook = MaskLossAnnealHook()
    hook.before_train(runner_of(model))
    hook.before_train_iter(runner_of(model, 50, 100), 50)
    assert model.mask_loss.loss_weight == pytest.approx(0.05)
    other = StubModel(loss_weight=0.4)
    hook.before_train(runner_of(other))
    assert hook.base_weight == 0.1 and hook.loss is other.mask_loss
    hook.before_train_iter(runner_of(other, 0, 100), 0)
    assert other.mask_loss.loss_weight == pytest.approx(0.1)


def test_anneal_hook_zero_max_iters():
    model = StubModel(loss_weight=0.1)
    hook = MaskLossAnnealHook()
    hook.before_train(runner_of(model, 0, 0))
    hook.before_train_iter(runner_of(model, 0, 0), 0)  # no division by 0
    assert model.mask_loss.loss_weight == pytest.approx(0.1)
    hook.before_train_iter(runner_of(model, 1, 0), 1)  # progress 1 / 1
    assert model.mask_loss.loss_weight == pytest.approx(0., abs=1e-12)


def test_anneal_hook_refuses_models_without_mask_loss():
    class NoLoss(nn.Module):
        pass

    with pytest.raises(TypeError, match=r'^MaskLossAnnealHook needs '
                       r'model.mask_loss with a loss_weight; NoLoss has none'):
        MaskLossAnnealHook().before_train(runner_of(NoLoss()))
    model = NoLoss()
    model.mask_loss = nn.Identity()  # no loss_weight
    with pytest.raises(TypeError, match='NoLoss has none'):
        MaskLossAnnealHook().before_train(runner_of(model, wrap=True))
