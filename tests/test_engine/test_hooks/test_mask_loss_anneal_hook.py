# Copyright (c) samix_mm contributors. All rights reserved.
"""MaskLossAnnealHook: on a stub runner, then in a run."""
import math

import pytest
from torch import nn

from samix_mm.engine.hooks import MaskLossAnnealHook
from samix_mm.utils import register_all_modules
from hook_runs import StubModel, build_runner, runner_of, tiny_samix_cfg


# --------------------------------------------------------- stub runner
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


# ------------------------------------------------------------ real run
def test_anneal_hook_in_a_run(tmp_path):
    """4 iterations (2 epochs x 2) of the tiny SAMix config: the mask loss
    of every iteration is computed with the cosine weight of that
    iteration, from the configured weight towards ``min_weight``."""
    register_all_modules()
    cfg = tiny_samix_cfg(tmp_path,
                         [dict(type='MaskLossAnnealHook', min_weight=0.02)])
    runner = build_runner(cfg)
    mask_loss = runner.model.mask_loss
    base = mask_loss.loss_weight
    assert base == 0.1  # the configured weight
    used = []  # the weight in effect whenever the mask loss is computed
    mask_loss.register_forward_pre_hook(
        lambda module, args: used.append(module.loss_weight))
    runner.train()

    assert runner.max_iters == 4
    expected = [
        0.02 + (base - 0.02) * (1 + math.cos(math.pi * it / 4)) / 2
        for it in range(4)
    ]
    assert used == pytest.approx(expected, abs=1e-12)
    # the last iteration (t = 3 of T = 4) is not the end of the cosine
    assert used[-1] == pytest.approx(0.02 + 0.08 * (1 - math.sqrt(.5)) / 2)
    assert mask_loss.loss_weight == used[-1]
