# Copyright (c) samix_mm contributors. All rights reserved.
"""MixLossRampHook: on a stub runner, then in a SAMix-I run."""
import math
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from torch import nn

from samix_mm.engine.hooks import MixLossRampHook
from samix_mm.utils import register_all_modules
from hook_runs import ROOT, Probe, build_runner, runner_of
from narrow_samix_moco import narrow_run_overrides

#: The SAMix-I ablation config with the ramp, shrunk by the run below.
RAMP = osp.join(
    ROOT, 'configs', 'samix_moco', 'ablations',
    'samix-mocov2_resnet18-w32_1xb64-mix-bb-ramp-20e_synthetic-shapes.py')


class WeightedModel(nn.Module):
    """What the hook needs of a SAMixMoCo."""

    def __init__(self, mix_bb_weight=1.0):
        super().__init__()
        self.mix_bb_weight = mix_bb_weight


def ramp(base, it, max_iters):
    return base * (1 - math.cos(math.pi * it / max_iters)) / 2


# --------------------------------------------------------- stub runner
@pytest.mark.parametrize('wrap', [False, True])
def test_ramp_from_zero_to_the_configured_weight(wrap):
    model = WeightedModel(mix_bb_weight=0.8)
    hook = MixLossRampHook()
    hook.before_train(runner_of(model, 0, 100, wrap))
    assert hook.base_weight == 0.8
    for it in (0, 10, 25, 50, 75, 100):
        hook.before_train_iter(runner_of(model, it, 100, wrap), it)
        assert model.mix_bb_weight == pytest.approx(ramp(0.8, it, 100),
                                                    abs=1e-12)
    assert model.mix_bb_weight == pytest.approx(0.8)
    hook.before_train_iter(runner_of(model, 0, 100, wrap), 0)
    assert model.mix_bb_weight == 0  # exactly: the branch is skipped
    hook.before_train_iter(runner_of(model, 50, 100, wrap), 50)
    assert model.mix_bb_weight == pytest.approx(0.4)


def test_ramp_keeps_its_base_on_a_second_train():
    """A resumed runner calls before_train again on a model whose weight
    the ramp has already lowered: the base stays the configured one."""
    model = WeightedModel()
    hook = MixLossRampHook()
    hook.before_train(runner_of(model))
    hook.before_train_iter(runner_of(model, 25, 100), 25)
    assert model.mix_bb_weight == pytest.approx(ramp(1., 25, 100))
    resumed = WeightedModel(mix_bb_weight=0.)  # e.g. read at iteration 0
    hook.before_train(runner_of(resumed))
    assert hook.base_weight == 1.
    hook.before_train_iter(runner_of(resumed, 75, 100), 75)
    assert resumed.mix_bb_weight == pytest.approx(ramp(1., 75, 100))


def test_ramp_refuses_models_it_cannot_ramp():
    with pytest.raises(TypeError, match=r'^MixLossRampHook needs a model '
                       r'with a numeric mix_bb_weight \(SAMixMoCo\); '
                       r'Linear has none$'):
        MixLossRampHook().before_train(runner_of(nn.Linear(2, 2)))
    with pytest.raises(TypeError, match='WeightedModel has none'):
        MixLossRampHook().before_train(runner_of(WeightedModel(True)))
    with pytest.raises(ValueError, match=r'configured value, got 0.0; set '
                       r'mix_bb_weight > 0 or remove the hook$'):
        MixLossRampHook().before_train(runner_of(WeightedModel(0.)))


# ------------------------------------------------------------ real run
class LossKeys(Hook):
    """The loss names of every training iteration's outputs."""

    def __init__(self):
        self.keys = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.keys.append(set(outputs))


def test_ramp_in_a_samix_moco_run(tmp_path):
    """4 iterations of the ablation config (narrow): each step runs with
    the ramped weight of its iteration, and the first (weight 0) skips the
    backbone's mixed loss."""
    register_all_modules()
    cfg = Config.fromfile(RAMP)
    assert [h['type'] for h in cfg.custom_hooks] == [
        'SAMixMomentumHook', 'MixLossRampHook']
    assert cfg.model.get('mix_bb_weight', 1.0) == 1.0
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'ramp_hook_{osp.basename(str(tmp_path))}'
    cfg.merge_from_dict(narrow_run_overrides(**{
        'train_dataloader.batch_size': 8,
        'train_dataloader.dataset.num_samples': 16,
        'train_cfg.max_epochs': 2,
    }))
    weights = Probe('before_train_iter', lambda r: r.model.mix_bb_weight)
    keys = LossKeys()
    runner = build_runner(cfg, [(weights, 'LOW'), (keys, 'LOW')])
    runner.train()

    assert runner.max_iters == 4
    assert weights.records == pytest.approx(
        [ramp(1., it, 4) for it in range(4)], abs=1e-12)
    assert weights.records[0] == 0
    assert 'loss_mix_bb' not in keys.keys[0]
    assert all('loss_mix_bb' in k for k in keys.keys[1:])
    assert all('loss_moco' in k for k in keys.keys)
