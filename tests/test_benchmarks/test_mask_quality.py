# Copyright (c) samix_mm contributors. All rights reserved.
"""benchmarks/mask_quality.py: the masks it scores for the classifiers that
mix in their own step, and one tiny run of the whole script."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine import Config

from samix_mm.models.utils import apply_transport
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SAMIX = 'configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py'
PUZZLEMIX = ('configs/mixup_baselines/'
             'resnet18-w32_1xb64-puzzlemix-15e_synthetic-shapes.py')
TRANSMIX = ('configs/mixup_baselines/'
            'vit-micro-p4_1xb64-transmix-15e_synthetic-shapes.py')
PAIR = torch.tensor([3, 0, 5, 1, 2, 4])  # no fixed point, no involution


@pytest.fixture(scope='module')
def mask_quality():
    spec = importlib.util.spec_from_file_location(
        'mask_quality', osp.join(ROOT, 'benchmarks', 'mask_quality.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(config, **overrides):
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(ROOT, config))
    model_cfg = dict(cfg.model.to_dict(), **overrides)
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    return MODELS.build(model_cfg).eval()


def images(num=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(num, 3, 32, 32, generator=g)


def test_puzzlemix_masks_are_scored_in_each_images_own_layout(
        mask_quality):
    """Channel 0 brought forward by the model's own transport plan is the
    mask PuzzleMix mixes with: the pixels of image a it shows are the ones
    scored as kept; channel 1 likewise for the partner."""
    model = build(PUZZLEMIX, t_eps=0.)  # free moves: a plan that moves
    inputs, labels = images(), torch.tensor([0, 1, 2, 3, 4, 5])
    masks, weight = mask_quality.puzzlemix_masks(model, inputs, labels,
                                                 PAIR, 0.6, grid=4)
    saliency = model.saliency(inputs, F.one_hot(labels, 10).float())
    mask, (own_plan, partner_plan, t_grid) = model.puzzle_masks(
        inputs, saliency, 0.6, PAIR, 4)
    shown = F.interpolate(mask[:, None], size=(32, 32), mode='nearest')
    # neither the identity nor its own inverse
    assert not torch.equal(own_plan, own_plan.argsort(1))
    torch.testing.assert_close(apply_transport(masks[:, :1], own_plan,
                                               t_grid), shown)
    torch.testing.assert_close(
        apply_transport(masks[:, 1:], partner_plan, t_grid), 1 - shown)
    torch.testing.assert_close(weight, shown.flatten(1).mean(1))


def test_transmix_masks_are_the_box_and_the_attention_weight(
        mask_quality, monkeypatch):
    model = build(TRANSMIX)
    inputs = images()
    seen = {}
    forward = model.forward_with_attention

    def spy(mixed):
        seen['mixed'] = mixed
        return forward(mixed)

    monkeypatch.setattr(model, 'forward_with_attention', spy)
    np.random.seed(0)  # the box position (mmpretrain draws it by numpy)
    masks, weight = mask_quality.transmix_masks(
        model, inputs, torch.zeros(6, dtype=torch.long), PAIR, 0.6)
    box = masks[0, 0] == 0
    # 1 - 0.6 of the image, less where the box is clipped at the border
    assert 0.05 < box.float().mean() <= 0.4 + 1e-6
    assert torch.equal(masks[:, 0] == 0, box.expand(6, -1, -1))
    torch.testing.assert_close(masks[:, 1], 1 - masks[:, 0])
    # the mixed images: a outside the box, its partner inside
    torch.testing.assert_close(
        seen['mixed'], masks[:, :1] * inputs + masks[:, 1:] * inputs[PAIR])
    _, attn, grid = forward(seen['mixed'])
    kept = (F.interpolate(masks[:, :1], size=grid) > 0).flatten(1).float()
    torch.testing.assert_close(weight, (attn * kept).sum(1) / attn.sum(1))
    assert not torch.allclose(weight, weight.mean().expand(6))


def test_whole_script_on_untrained_models(tmp_path):
    ckpts = []
    for name, config in (('samix', SAMIX), ('pm', PUZZLEMIX),
                         ('tm', TRANSMIX)):
        path = tmp_path / f'{name}.pth'
        torch.save(dict(state_dict=build(config).state_dict()), path)
        ckpts.append(str(path))
    out = tmp_path / 'quality.json'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, 'benchmarks/mask_quality.py', '--config', SAMIX,
         '--model', f'samix={ckpts[0]}', '--classifier',
         f'{PUZZLEMIX}={ckpts[1]}', '--classifier', f'{TRANSMIX}={ckpts[2]}',
         '--num-images', '20', '--batch', '10', '--out', str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = json.loads(out.read_text())['table']
    assert list(table) == ['mixup', 'cutmix', 'fmix', 'gridmix',
                           'saliencymix', 'samix', 'puzzlemix', 'transmix']
    assert all(row['pairs'] == 20 for row in table.values())
    assert table['mixup']['mean_abs_gap'] == pytest.approx(0., abs=1e-6)
    for row in table.values():
        assert 0. <= row['mean_kept'] <= 1.
        assert np.isfinite(row['mean_abs_gap'])
    # a SAMix checkpoint is not a classifier that mixes in its own step
    proc = subprocess.run(
        [sys.executable, 'benchmarks/mask_quality.py', '--config', SAMIX,
         '--classifier', f'{SAMIX}={ckpts[0]}', '--num-images', '10'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and 'SAMixClassifier, not one of' in \
        proc.stderr
