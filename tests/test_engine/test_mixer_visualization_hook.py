# Copyright (c) samix_mm contributors. All rights reserved.
"""The mix grid, ``SAMixClassifier.mix_for_display`` and the hook."""
import copy
import os
import os.path as osp
import random
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from torch import nn

from samix_mm.engine.hooks import MixerVisualizationHook
from samix_mm.models.classifiers import SAMixClassifier
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
from samix_mm.visualization import (denormalize, draw_mix_grid,
                                    mixed_batch_grid, normalization_of)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')
MEAN, STD = [126.4, 126.7, 127.7], [60.4, 60.7, 61.1]


def cell(grid, row, col, size=32, pad=2):
    top, left = pad + row * (size + pad), pad + col * (size + pad)
    return grid[top:top + size, left:left + size]


def bgr_batch(num, size=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (num, 3, size, size), generator=gen,
                         dtype=torch.uint8)


@pytest.mark.parametrize('to_rgb', [True, False])
def test_denormalize_inverts_the_preprocessor(to_rgb):
    raw = bgr_batch(3)  # what the dataset gives (BGR, CHW)
    prep = ClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=to_rgb)
    inputs = prep(dict(inputs=raw), False)['inputs']
    mean, std, flag = normalization_of(prep)
    assert flag is to_rgb and mean == pytest.approx(MEAN)
    pictures = denormalize(inputs, mean, std, to_rgb)
    # exactly the dataset's BGR pixels, whatever the channel order inside
    assert pictures.dtype == np.uint8 and pictures.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(pictures, raw.permute(0, 2, 3, 1).numpy())


def test_grid_layout_mask_and_mixed_columns():
    num, pad = 5, 2
    prep = ClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    a = prep(dict(inputs=bgr_batch(num, seed=1)), False)['inputs']
    b = prep(dict(inputs=bgr_batch(num, seed=2)), False)['inputs']
    m = torch.rand(num, 1, 32, 32, generator=torch.Generator().manual_seed(3))
    mask = torch.cat([m, 1 - m], dim=1)
    mix = dict(a=a, b=b, mask=mask, mixed=a * m + b * (1 - m), lam=0.5)
    grid = draw_mix_grid(mix, MEAN, STD, True, pad=pad)

    assert grid.dtype == np.uint8
    assert grid.shape == (num * 32 + (num + 1) * pad, 4 * 32 + 5 * pad, 3)
    assert (grid[:pad] == 255).all() and (grid[:, 34:36] == 255).all()
    m_np = m[:, 0].numpy()
    for row in range(num):
        a_img, b_img = cell(grid, row, 0), cell(grid, row, 1)
        mask_img, mixed_img = cell(grid, row, 2), cell(grid, row, 3)
        # the mask column is the weight of A, in grey: 255 * m
        expected = np.round(m_np[row] * 255)
        for channel in range(3):
            np.testing.assert_array_equal(mask_img[..., channel], expected)
        # the mixed column is A * m + B * (1 - m) in pixels
        blend = a_img * m_np[row, ..., None] + \
            b_img * (1 - m_np[row, ..., None])
        assert np.abs(mixed_img - blend).max() <= 0.5 + 1e-3


@pytest.fixture(scope='module')
def tiny_cfg():
    register_all_modules()
    return Config.fromfile(TINY)


def test_mix_for_display_mixes_like_the_classifier(tiny_cfg):
    model = MODELS.build(copy.deepcopy(tiny_cfg.model))
    model.eval()
    assert isinstance(model, SAMixClassifier)
    inputs = torch.randn(4, 3, 32, 32)
    bn = model.backbone_k.bn1.running_mean.clone()
    before = (random.getstate(), np.random.get_state()[1].copy(),
              torch.get_rng_state())
    out = model.mix_for_display(inputs, lam=0.3)

    assert out['lam'] == 0.3
    assert torch.equal(out['a'], inputs)
    assert torch.equal(out['b'], inputs.roll(1, dims=0))  # i with i - 1
    mask = out['mask']
    assert mask.shape == (4, 2, 32, 32) and not mask.requires_grad
    assert torch.allclose(mask.sum(1), torch.ones(4, 32, 32))
    torch.testing.assert_close(
        out['mixed'], inputs * mask[:, :1] + out['b'] * mask[:, 1:])
    # no random draws, no BN update (eval mode)
    assert random.getstate() == before[0]
    assert (np.random.get_state()[1] == before[1]).all()
    assert torch.equal(torch.get_rng_state(), before[2])
    assert torch.equal(model.backbone_k.bn1.running_mean, bn)


def test_mixed_batch_grid_leaves_model_and_rng_untouched(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg.model)
    # a list of k makes the Mixer draw from python's random module
    cfg.mixer.lam_mul_k = [0.1, 0.25, 0.5]
    model = MODELS.build(cfg)
    model.train()
    model.backbone.layer1.eval()  # a sub-module deliberately in eval
    batch = dict(inputs=list(bgr_batch(6)),
                 data_samples=[DataSample().set_gt_label(i) for i in range(6)])
    bn = model.backbone_k.bn1.running_mean.clone()
    state = random.getstate()
    grid = mixed_batch_grid(model, batch, num_samples=3, lam=0.5)
    assert grid.shape == (3 * 32 + 4 * 2, 4 * 32 + 5 * 2, 3)
    np.testing.assert_array_equal(cell(grid, 0, 0),
                                  batch['inputs'][0].permute(1, 2, 0))
    np.testing.assert_array_equal(cell(grid, 0, 1),
                                  batch['inputs'][2].permute(1, 2, 0))
    assert random.getstate() == state
    assert model.training and model.backbone.training
    assert not model.backbone.layer1.training
    assert torch.equal(model.backbone_k.bn1.running_mean, bn)
    with pytest.raises(TypeError, match='no mix_for_display'):
        mixed_batch_grid(nn.Linear(2, 2), batch)


def test_hook_arguments_and_model_check():
    for kwargs in (dict(interval=0), dict(num_samples=0), dict(lam=1.5)):
        with pytest.raises(ValueError):
            MixerVisualizationHook(**kwargs)
    runner = SimpleNamespace(model=nn.Linear(2, 2))
    with pytest.raises(TypeError, match='needs a model with mix_for_display'):
        MixerVisualizationHook().before_train(runner)


class LossRecorder(Hook):
    """Keep every training loss, to compare two runs."""

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append({k: v.item() for k, v in outputs.items()})


def short_run(work_dir, with_hook):
    """4 iterations (2 epochs x 2) of the tiny config, in this process."""
    cfg = Config.fromfile(TINY)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'vis_{with_hook}_{osp.basename(work_dir)}'
    cfg.train_dataloader.dataset.num_samples = 32
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=100)
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = [dict(type='SAMixMomentumHook', end_momentum=0.9999)]
    if with_hook:
        cfg.custom_hooks.append(
            dict(type='MixerVisualizationHook', interval=3, num_samples=4,
                 lam=0.4))
    runner = Runner.from_cfg(cfg)
    recorder = LossRecorder()
    runner.register_hook(recorder, priority='LOWEST')
    runner.train()
    return runner, recorder.losses


def test_hook_writes_pictures_and_keeps_training_identical(
        tmp_path, monkeypatch):
    register_all_modules()
    display = SAMixClassifier.mix_for_display

    def greedy_display(self, inputs, lam=0.5):
        # a Mixer that draws random numbers (e.g. a list of lam_mul_k)
        random.random(), np.random.rand(), torch.rand(1)
        return display(self, inputs, lam)

    monkeypatch.setattr(SAMixClassifier, 'mix_for_display', greedy_display)
    runner, losses = short_run(tmp_path / 'with', True)
    vis_dir = osp.join(runner.work_dir, 'mix_vis')
    # every 3rd iteration and the last one (4)
    assert sorted(os.listdir(vis_dir)) == ['iter_3.png', 'iter_4.png']
    hook = [h for h in runner.hooks
            if isinstance(h, MixerVisualizationHook)][0]
    assert hook.last_path == osp.join(vis_dir, 'iter_4.png')
    grid = mmcv.imread(hook.last_path)
    assert grid.shape == (4 * 32 + 5 * 2, 4 * 32 + 5 * 2, 3)
    log = open(runner.logger.log_file).read()
    assert f'saved to {hook.last_path}' in log

    monkeypatch.undo()
    plain, plain_losses = short_run(tmp_path / 'without', False)
    assert not osp.exists(osp.join(plain.work_dir, 'mix_vis'))
    assert len(losses) == 4 and losses == plain_losses  # bit-identical
    state, plain_state = runner.model.state_dict(), plain.model.state_dict()
    assert all(torch.equal(state[k], plain_state[k]) for k in state)
