# Copyright (c) samix_mm contributors. All rights reserved.
import math

import pytest
from torch import nn

from samix_mm.engine.optimizers import (GroupCosineAnnealingLR,
                                        NamedGroupOptimWrapperConstructor)


class Toy(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(4, 4)
        self.mixer = nn.Linear(4, 1)
        self.frozen = nn.Linear(4, 4).requires_grad_(False)


def build(paramwise_cfg=dict(mixer=dict(lr=0.1, momentum=0.))):
    constructor = NamedGroupOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9)),
        paramwise_cfg=paramwise_cfg)
    return constructor(Toy())


def test_named_groups_with_absolute_settings():
    groups = build().optimizer.param_groups
    # mmengine's OptimWrapper adds an unnamed group that records the base lr
    by_name = {g['name']: g for g in groups if 'name' in g}
    assert set(by_name) == {'default', 'mixer'}
    assert by_name['mixer']['lr'] == 0.1
    assert by_name['mixer']['momentum'] == 0.
    assert by_name['default']['lr'] == 0.2
    assert by_name['default']['momentum'] == 0.9
    # frozen parameters are not in the optimizer at all
    assert sum(len(g['params']) for g in by_name.values()) == 4


def test_unknown_group_is_refused():
    with pytest.raises(ValueError, match='no such sub-module'):
        build(dict(mixr=dict(lr=0.1)))


def test_group_cosine_reaches_each_minimum():
    wrapper = build()
    sched = GroupCosineAnnealingLR(
        wrapper.optimizer, eta_min=0., group_eta_min=dict(mixer=1e-3),
        T_max=10, by_epoch=False, begin=0, end=10)
    for t in range(1, 10):
        sched.step()
        lrs = {g['name']: g['lr'] for g in wrapper.param_groups
               if 'name' in g}
        cos = (1 + math.cos(math.pi * t / 10)) / 2
        assert lrs['default'] == pytest.approx(0.2 * cos)
        assert lrs['mixer'] == pytest.approx(1e-3 + (0.1 - 1e-3) * cos)


def test_group_cosine_unknown_group():
    with pytest.raises(ValueError, match='NamedGroupOptimWrapperConstructor'):
        GroupCosineAnnealingLR(
            build().optimizer, group_eta_min=dict(mixr=1e-3), T_max=10,
            by_epoch=False, begin=0, end=10)
