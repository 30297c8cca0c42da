# Copyright (c) samix_mm contributors. All rights reserved.
"""momentum_update_ and copy_online_to_momentum_, by value."""
import copy

import pytest
import torch
from torch import nn

from samix_mm.models.utils import copy_online_to_momentum_, momentum_update_


def net(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3),
                          nn.Flatten(), nn.Linear(3 * 4, 2))
    model.train()
    model(torch.randn(4, 2, 2, 2))  # BN statistics differ from the init
    return model


def pairs_of(seeds):
    return [(net(q), net(k)) for q, k in seeds]


def state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize('m', [0.9, 0.25, 0.])
def test_momentum_update_params_only(m):
    pairs = pairs_of([(0, 1), (2, 3)])
    before = [(state(q), state(k)) for q, k in pairs]
    momentum_update_(pairs, m)
    for (q, k), (q0, k0) in zip(pairs, before):
        params = {n for n, _ in k.named_parameters()}
        for name, value in k.state_dict().items():
            if name in params:
                torch.testing.assert_close(
                    value, m * k0[name] + (1 - m) * q0[name])
            else:  # buffers (BN statistics) keep their own values
                assert torch.equal(value, k0[name]), name
        for name, value in q.state_dict().items():  # online untouched
            assert torch.equal(value, q0[name]), name


@pytest.mark.parametrize('m', [1., 1.5])
def test_momentum_update_frozen_at_one_and_above(m):
    pairs = pairs_of([(0, 1)])
    before = state(pairs[0][1])
    momentum_update_(pairs, m)
    for name, value in pairs[0][1].state_dict().items():
        assert torch.equal(value, before[name]), name


def test_momentum_update_accepts_a_generator():
    pairs = pairs_of([(0, 1)])
    q0, k0 = state(pairs[0][0]), state(pairs[0][1])
    momentum_update_(iter(pairs), 0.5)
    name = '3.weight'
    torch.testing.assert_close(pairs[0][1].state_dict()[name],
                               0.5 * k0[name] + 0.5 * q0[name])


def test_momentum_update_needs_no_grad_context():
    q, k = net(0), net(1)
    for p in k.parameters():
        p.requires_grad_(True)
    momentum_update_([(q, k)], 0.9)  # in-place on leaves: only under no_grad
    assert all(p.grad_fn is None for p in k.parameters())


def test_copy_online_to_momentum_copies_everything():
    pairs = pairs_of([(0, 1), (2, 3)])
    online = [state(q) for q, _ in pairs]
    copy_online_to_momentum_(pairs)
    for (q, k), q0 in zip(pairs, online):
        for name, value in k.state_dict().items():
            assert torch.equal(value, q0[name]), name  # incl. BN buffers
        for name, value in q.state_dict().items():
            assert torch.equal(value, q0[name]), name
    # the copy is by value, not shared storage
    k_before = copy.deepcopy(pairs[0][1].state_dict())
    with torch.no_grad():
        for p in pairs[0][0].parameters():
            p.add_(1.)
    for name, value in pairs[0][1].state_dict().items():
        assert torch.equal(value, k_before[name]), name


def test_probing_leaves_mode_grad_and_bn_statistics():
    from samix_mm.models.utils import probing
    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)).train()
    stats = net[1].running_mean.clone()
    with probing(net):
        assert not net.training and not torch.is_grad_enabled()
        out = net(torch.randn(2, 3, 4, 4) + 5)
    assert net.training and torch.is_grad_enabled() and not out.requires_grad
    assert torch.equal(net[1].running_mean, stats)
    net.eval()
    with pytest.raises(RuntimeError):
        with probing(net):
            raise RuntimeError('probe failed')
    assert not net.training  # eval mode restored as it was
