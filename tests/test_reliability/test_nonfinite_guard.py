# Copyright (c) samix_mm contributors. All rights reserved.
"""A NaN/Inf loss stops training, or skips the step without a trace."""
import copy
import os.path as osp
import random
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')


def build(nonfinite_loss):
    cfg = copy.deepcopy(Config.fromfile(CFG).model.to_dict())
    cfg['nonfinite_loss'] = nonfinite_loss
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    # SGD with momentum and weight decay: a zero-gradient step would still
    # move the weights, so only a real skip leaves them bit-identical.
    optim = OptimWrapper(torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))
    return model, optim


def data(seed=0, n=8):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.rand(n, 3, 32, 32, generator=g) * 255
    samples = [DataSample().set_gt_label(i % 10) for i in range(n)]
    return dict(inputs=list(inputs), data_samples=samples)


def poison(model, term='mix_k'):
    """Make the ``loss_<term>`` NaN, with a graph into the Mixer."""
    head = getattr(model, f'head_{term}')
    real = head.loss_module.forward

    def nan_loss(logits, *args, **kwargs):
        return real(logits, *args, **kwargs) + logits.sum() * float('nan')

    head.loss_module.forward = nan_loss


def snapshot(model, optim):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    opt = copy.deepcopy(optim.optimizer.state_dict()['state'])
    return state, opt


def assert_same(before, after):
    (state0, opt0), (state1, opt1) = before, after
    for key in state0:
        assert torch.equal(state0[key], state1[key]), key
    assert opt0.keys() == opt1.keys()
    for idx in opt0:
        for name in opt0[idx]:
            assert torch.equal(opt0[idx][name], opt1[idx][name]), idx


def step(model, optim, batch):
    log_vars = model.train_step(batch, optim)
    model.momentum_update()  # as SAMixMomentumHook.after_train_iter
    return log_vars


@pytest.fixture(autouse=True)
def at_iteration_7():
    MessageHub.get_current_instance().update_info('iter', 6)
    MessageHub.get_current_instance().update_info('epoch', 1)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """One intra-op thread: several times faster on a shared 2-core box."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_raise_names_term_and_iteration_and_changes_nothing():
    model, optim = build('raise')
    step(model, optim, data(0))  # one good step: momentum buffers exist
    before = snapshot(model, optim)
    poison(model, 'mix_k')
    with pytest.raises(FloatingPointError) as err:
        step(model, optim, data(1))
    msg = str(err.value)
    assert msg.startswith('loss_mix_k is nan at iteration 7;'), msg
    assert "model.nonfinite_loss='skip'" in msg and '\n' not in msg
    # the error comes before backward: nothing moved but BN statistics
    state, opt = snapshot(model, optim)
    params = {k for k, _ in model.named_parameters()}
    for key in params:
        assert torch.equal(before[0][key], state[key]), key


def test_skip_leaves_weights_ema_optimizer_and_bn_untouched():
    model, optim = build('skip')
    step(model, optim, data(0))
    before = snapshot(model, optim)
    np_state, torch_state = np.random.get_state(), torch.get_rng_state()
    poison(model, 'mix_k')
    log_vars = step(model, optim, data(1))
    assert model.step_skipped
    assert 'loss_mix_k' not in log_vars and 'loss' not in log_vars
    assert all(torch.isfinite(v) for v in log_vars.values())
    assert_same(before, snapshot(model, optim))

    # the next good step trains again, exactly like a run without the
    # skipped batch
    del model.head_mix_k.loss_module.forward  # back to the class's
    np.random.set_state(np_state)
    torch.set_rng_state(torch_state)
    step(model, optim, data(2))
    assert not model.step_skipped
    after = snapshot(model, optim)

    ref, ref_optim = build('skip')
    step(ref, ref_optim, data(0))
    np.random.set_state(np_state)
    torch.set_rng_state(torch_state)
    step(ref, ref_optim, data(2))
    assert_same(snapshot(ref, ref_optim), after)
    changed = [k for k in before[0] if not torch.equal(before[0][k],
                                                       after[0][k])]
    assert any(k.startswith('backbone_k.') for k in changed)
    assert any(k.startswith('mixer.') for k in changed)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="'raise' or 'skip'"):
        build('ignore')


def test_train_tool_stops_with_one_line(tmp_path):
    # an absurd learning rate makes the loss overflow after the first step
    env = dict(PYTHONPATH=ROOT, OMP_NUM_THREADS='1',
               PATH=osp.dirname(sys.executable))
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', CFG, '--work-dir',
         str(tmp_path), '--cfg-options',
         'train_dataloader.dataset.num_samples=32',
         'optim_wrapper.optimizer.lr=1e30'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('FloatingPointError: loss'), last
    assert ' at iteration 2;' in last, last
    assert not list(tmp_path.glob('*.pth'))  # no checkpoint was written


# --------------------------------------------------------------------- #
# the guarded step on chosen loss values: messages, agreement, the skip  #
# --------------------------------------------------------------------- #
from types import SimpleNamespace  # noqa: E402

import samix_mm.models.utils.nonfinite_loss_guard as guard_module  # noqa

HINT = ('lower optim_wrapper.optimizer.lr, add optim_wrapper.clip_grad='
        "dict(max_norm=...), check the data, or set "
        "model.nonfinite_loss='skip' to skip such steps")


def with_losses(model, **values):
    """Make ``model.loss`` return these values (with a graph into the
    weights, so that a finite step back-propagates and updates)."""
    param = next(p for p in model.parameters() if p.requires_grad)

    def loss(inputs, data_samples):
        return {k: torch.tensor(float(v)) + 0. * param.sum()
                for k, v in values.items()}

    model.loss = loss
    return model


def test_raise_message_names_each_bad_term_and_its_kind():
    model, optim = build('raise')
    MessageHub.get_current_instance().update_info('iter', 0)
    with_losses(model, loss_a=1., loss_b='inf', loss_c='nan', loss_d=-2.)
    with pytest.raises(FloatingPointError) as err:
        model.train_step(data(), optim)
    assert str(err.value) == (
        f'loss_b is inf, loss_c is nan at iteration 1; {HINT}')
    # only the sum overflowed: the sum is named
    with_losses(model, loss_a=3e38, loss_b=3e38)
    with pytest.raises(FloatingPointError) as err:
        model.train_step(data(), optim)
    assert str(err.value) == f'loss is inf at iteration 1; {HINT}'
    assert model.step_skipped


def test_finite_losses_pass_through():
    model, optim = build('raise')
    model.step_skipped = True
    log_vars = with_losses(model, loss_a=1.5, loss_b=2.).train_step(
        data(), optim)
    assert not model.step_skipped
    assert {k: float(v) for k, v in log_vars.items()} == dict(
        loss=3.5, loss_a=1.5, loss_b=2.)
    assert optim.optimizer.state  # the optimizer stepped


def test_processes_agree_on_a_bad_term(monkeypatch):
    """With several processes the codes are max-reduced in place, so a term
    that is NaN on another process stops this one too."""
    model, optim = build('raise')
    calls = []

    def all_reduce(data, op='sum'):
        calls.append((data.clone(), op))
        data[1] = 2  # loss_a (after 'loss') is NaN elsewhere

    monkeypatch.setattr(guard_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(guard_module, 'all_reduce', all_reduce)
    with pytest.raises(FloatingPointError, match=r'^loss_a is nan at '
                       r'iteration 7;'):
        with_losses(model, loss_a=1., loss_b=2.).train_step(data(), optim)
    (codes, op), = calls
    assert op == 'max' and codes.tolist() == [0, 0, 0]


def test_single_process_does_not_communicate(monkeypatch):
    def all_reduce(*args, **kwargs):
        raise AssertionError('all_reduce in a single process')

    monkeypatch.setattr(guard_module, 'all_reduce', all_reduce)
    model, optim = build('raise')
    log_vars = with_losses(model, loss_a=1.).train_step(data(), optim)
    assert float(log_vars['loss']) == 1.


def test_skip_warns_and_neither_back_propagates_nor_steps(monkeypatch):
    model, optim = build('skip')
    warnings = []
    logger = SimpleNamespace(warning=warnings.append)
    monkeypatch.setattr(guard_module, 'MMLogger', SimpleNamespace(
        get_current_instance=lambda: logger))
    updates = []
    monkeypatch.setattr(optim, 'update_params', updates.append)
    log_vars = with_losses(model, loss_a=2., loss_b='nan').train_step(
        data(), optim)
    assert model.step_skipped and not updates
    assert warnings == ['skipped the step of iteration 7: loss_b is nan']
    assert {k: float(v) for k, v in log_vars.items()} == dict(loss_a=2.)
    assert all(p.grad is None for p in model.parameters())
    # a good step un-skips the model and updates it
    with_losses(model, loss_a=1.).train_step(data(), optim)
    assert not model.step_skipped and len(updates) == 1


def test_parse_losses_outside_the_guarded_step_is_refused():
    """mmengine's own DDP wrapper calls parse_losses itself: refused, so
    that the guard cannot be bypassed silently."""
    model, _ = build('raise')
    with pytest.raises(RuntimeError) as err:
        model.parse_losses(dict(loss_a=torch.tensor(1.)))
    assert str(err.value) == (
        'SAMixClassifier must train through its guarded train step; set '
        "model_wrapper_cfg=dict(type='GuardedDistributedDataParallel') for "
        'distributed training')
