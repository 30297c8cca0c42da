# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMixMomentumHook and its schedule: on a stub runner, then in a run."""
import inspect
import math

import pytest
import torch
from torch import nn

from samix_mm.engine.hooks import SAMixMomentumHook, cosine_momentum
from samix_mm.engine.hooks.samix_momentum_hook import START_RATIO
from samix_mm.utils import register_all_modules
from hook_runs import (Probe, StubModel, build_runner, runner_of,
                       tiny_samix_cfg)


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


# --------------------------------------------------------- stub runner
def test_momentum_hook_defaults_and_validation():
    hook = SAMixMomentumHook()
    assert hook.end_momentum is None
    assert SAMixMomentumHook.priority == 'NORMAL'
    for end in (0., 0.5, 1.):  # bounds included
        assert SAMixMomentumHook(end_momentum=end).end_momentum == end
    for end in (-0.01, 1.01):
        with pytest.raises(ValueError, match=r'end_momentum must be in'):
            SAMixMomentumHook(end_momentum=end)
    # the fraction of training at the base momentum is fixed, not an
    # argument (of the hook or of the schedule)
    assert START_RATIO == 0.1
    assert list(inspect.signature(SAMixMomentumHook).parameters) == [
        'end_momentum'
    ]
    assert 'start_ratio' not in inspect.signature(
        cosine_momentum).parameters
    with pytest.raises(TypeError, match='start_ratio'):
        SAMixMomentumHook(start_ratio=0.3)


@pytest.mark.parametrize('wrap', [False, True])
def test_momentum_hook_sets_scheduled_momentum(wrap):
    model = StubModel(momentum=0.99)
    hook = SAMixMomentumHook(end_momentum=1.)
    # the base momentum for the first 10 % (START_RATIO), then the cosine
    for it, expected in ((0, 0.99), (9, 0.99), (10, None), (60, None),
                         (99, None)):
        hook.before_train_iter(runner_of(model, it, 100, wrap), it)
        if expected is None:
            expected = 1. - 0.01 * (math.cos(math.pi * it / 100) + 1) / 2
        assert model.momentum == pytest.approx(expected, abs=1e-12), it
        assert model.base_momentum == 0.99  # the base is never moved
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


# ------------------------------------------------------------ real run
def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def test_momentum_hook_in_a_run(tmp_path):
    """4 iterations (2 epochs x 2) of the tiny SAMix config: after every
    optimizer step the momentum backbone is the EMA, with the scheduled
    momentum of that iteration, of itself and the stepped online one."""
    register_all_modules()
    base, end = 0.9, 0.99  # far apart, so that every value differs
    cfg = tiny_samix_cfg(tmp_path,
                         [dict(type='SAMixMomentumHook', end_momentum=end)])
    cfg.model.momentum = base
    # right before and right after the hook's after_train_iter (NORMAL)
    before = Probe(
        'after_train_iter', lambda r: (r.iter, r.model.momentum,
                                       _params(r.model.backbone),
                                       _params(r.model.backbone_k)))
    after = Probe('after_train_iter',
                  lambda r: _params(r.model.backbone_k))
    runner = build_runner(cfg, [(before, 'ABOVE_NORMAL'),
                                (after, 'BELOW_NORMAL')])
    runner.train()

    assert runner.max_iters == 4 and len(before.records) == 4
    for (it, momentum, online, ema), moved in zip(before.records,
                                                  after.records):
        # START_RATIO * 4 = 0.4: the base at iteration 0, then the cosine
        expected = base if it == 0 else \
            end - (end - base) * (math.cos(math.pi * it / 4) + 1) / 2
        assert momentum == pytest.approx(expected, abs=1e-12), it
        for q, k, k_new in zip(online, ema, moved):
            torch.testing.assert_close(
                k_new, momentum * k + (1 - momentum) * q, rtol=1e-6,
                atol=1e-7)
        # the update is large enough for the check to mean something
        assert max((k_new - k).abs().max()
                   for k, k_new in zip(ema, moved)) > 1e-5
    assert [r[0] for r in before.records] == [0, 1, 2, 3]
    assert runner.model.base_momentum == base
