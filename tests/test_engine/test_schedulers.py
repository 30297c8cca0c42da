# Copyright (c) samix_mm contributors. All rights reserved.
import math
import subprocess
import sys

import pytest

from samix_mm.engine.schedulers import GroupCosineAnnealingLR
# the named groups 'default' and 'mixer' that GroupCosineAnnealingLR anneals
from test_optimizers import build  # tests/test_engine


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


def test_registry_finds_the_scheduler_by_name_alone():
    """``PARAM_SCHEDULERS`` imports ``samix_mm.engine.schedulers`` itself
    (its ``locations``) the first time a config names the scheduler."""
    code = ('from samix_mm.registry import PARAM_SCHEDULERS\n'
            "cls = PARAM_SCHEDULERS.get('GroupCosineAnnealingLR')\n"
            'print(cls.__module__)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[-1] == 'samix_mm.engine.schedulers.group_cosine_annealing_lr'
