# Copyright (c) samix_mm contributors. All rights reserved.
"""The mix grid, ``mixer_display`` and the hook."""
import copy
import os
import os.path as osp
import random
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from matplotlib import colormaps
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.visualization import BaseVisBackend
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from torch import nn

from samix_mm.engine.hooks import MixerVisualizationHook
from samix_mm.models.classifiers import SAMixClassifier
from samix_mm.registry import MODELS, VISBACKENDS
from samix_mm.utils import register_all_modules
from samix_mm.visualization import (cell_box, cell_size_of, class_names,
                                    denormalize, draw_mix_grid, mix_batch,
                                    normalization_of, picture_size,
                                    row_titles)
from samix_mm.visualization import mix_grid
from samix_mm.visualization.mix_grid import MASK_CMAP, PAD
from hook_runs import TINY, build_runner, tiny_samix_cfg

MEAN, STD = [126.4, 126.7, 127.7], [60.4, 60.7, 61.1]


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


def enlarged(image, cell_hw):
    """An (H, W[, 3]) picture enlarged to ``cell_hw`` (nearest)."""
    scale = cell_hw[0] // image.shape[0]
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def cell(picture, row, col, cell_hw=(160, 160)):
    top, left, bottom, right = cell_box(row, col, cell_hw)
    return picture[top:bottom, left:right].astype(int)


def test_grid_cells_show_images_heat_map_and_mix():
    num = 3
    prep = ClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    raw_a, raw_b = bgr_batch(num, seed=1), bgr_batch(num, seed=2)
    a = prep(dict(inputs=raw_a), False)['inputs']
    b = prep(dict(inputs=raw_b), False)['inputs']
    m = torch.rand(num, 1, 32, 32, generator=torch.Generator().manual_seed(3))
    mask = torch.cat([m, 1 - m], dim=1)
    mix = dict(a=a, b=b, mask=mask, mixed=a * m + b * (1 - m), lam=0.5)
    picture = draw_mix_grid(mix, MEAN, STD, True)

    # 32 px images are drawn 5 times larger, in RGB
    assert cell_size_of((32, 32)) == (160, 160)
    assert picture.dtype == np.uint8
    assert picture.shape == (*picture_size(num, (160, 160)), 3)
    assert (picture[:PAD] == 255).all()  # white margin
    viridis = colormaps[MASK_CMAP]
    for row in range(num):
        rgb_a = raw_a[row].flip(0).permute(1, 2, 0).numpy()
        rgb_b = raw_b[row].flip(0).permute(1, 2, 0).numpy()
        np.testing.assert_array_equal(cell(picture, row, 0),
                                      enlarged(rgb_a, (160, 160)))
        np.testing.assert_array_equal(cell(picture, row, 1),
                                      enlarged(rgb_b, (160, 160)))
        # the mask column is the weight of A as a heat map
        heat = viridis(enlarged(m[row, 0].numpy(), (160, 160)))[..., :3]
        assert np.abs(cell(picture, row, 2) - heat * 255).max() <= 1
        # the mixed column is A * m + B * (1 - m) in pixels
        weight = enlarged(m[row, 0].numpy(), (160, 160))[..., None]
        blend = enlarged(rgb_a, (160, 160)) * weight + \
            enlarged(rgb_b, (160, 160)) * (1 - weight)
        assert np.abs(cell(picture, row, 3) - blend).max() <= 0.5 + 1e-3
    # large images keep their size
    assert cell_size_of((224, 200)) == (224, 200)
    assert cell_size_of((96, 48)) == (192, 96)


def test_row_titles_name_the_classes_and_lambda():
    classes = ['circle', 'square', 'a very long class name indeed']
    assert row_titles(0.3, 0.25, 0, 1, classes) == [
        'A: circle', 'B: square', 'mask of A, mean 0.25', 'mixed, λ = 0.30'
    ]
    long_name = row_titles(0.5, 0.5, 2, 7, classes)
    assert long_name[:2] == ['A: a very long class n…', 'B: 7']
    assert row_titles(0.5, 0.5, 2, 0)[:2] == ['A: 2', 'B: 0']
    assert row_titles(0.5, 0.5)[:2] == ['A', 'B']


def test_class_names_come_from_dataset_then_checkpoint():
    dataset = SimpleNamespace(metainfo=dict(classes=('cat', 'dog')))
    saved = dict(meta=dict(dataset_meta=dict(classes=('x', 'y'))))
    assert class_names(dataset, saved) == ['cat', 'dog']
    assert class_names(SimpleNamespace(metainfo={}), saved) == ['x', 'y']
    assert class_names(None, dict(state_dict={})) is None
    assert class_names() is None


@pytest.fixture(scope='module')
def tiny_cfg():
    register_all_modules()
    return Config.fromfile(TINY)


def test_mixer_display_mixes_like_the_classifier(tiny_cfg):
    model = MODELS.build(copy.deepcopy(tiny_cfg.model))
    model.eval()
    assert isinstance(model, SAMixClassifier)
    inputs = torch.randn(4, 3, 32, 32)
    bn = model.backbone_k.bn1.running_mean.clone()
    before = (random.getstate(), np.random.get_state()[1].copy(),
              torch.get_rng_state())
    out = mix_grid.mixer_display(model, inputs, lam=0.3)

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


def test_mix_batch_leaves_model_and_rng_untouched(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg.model)
    cfg.data_preprocessor = tiny_cfg.data_preprocessor
    model = MODELS.build(cfg)
    mixer_forward = model.mixer.forward

    def greedy_forward(*args):  # a Mixer that draws random numbers
        random.random(), np.random.rand(), torch.rand(1)
        return mixer_forward(*args)

    model.mixer.forward = greedy_forward
    model.train()
    model.backbone.layer1.eval()  # a sub-module deliberately in eval
    batch = dict(inputs=list(bgr_batch(6)),
                 data_samples=[DataSample().set_gt_label(i) for i in range(6)])
    bn = model.backbone_k.bn1.running_mean.clone()
    state = (random.getstate(), np.random.get_state()[1].copy(),
             torch.get_rng_state())
    mix = mix_batch(model, batch, num_samples=3, lam=0.4)
    # the first 3 samples, normalised by the model's preprocessor
    expected = model.data_preprocessor(
        dict(inputs=batch['inputs'][:3]), False)['inputs']
    assert torch.equal(mix['a'], expected)
    assert mix['mask'].shape == (3, 2, 32, 32) and mix['lam'] == 0.4
    # sample i is mixed with sample i - 1, labels included
    assert torch.equal(mix['b'], expected.roll(1, dims=0))
    assert mix['label_a'] == [0, 1, 2] and mix['label_b'] == [2, 0, 1]
    assert random.getstate() == state[0]
    assert (np.random.get_state()[1] == state[1]).all()
    assert torch.equal(torch.get_rng_state(), state[2])
    assert model.training and model.backbone.training
    assert not model.backbone.layer1.training
    assert torch.equal(model.backbone_k.bn1.running_mean, bn)
    unlabelled = mix_batch(model, dict(inputs=batch['inputs']), 2)
    assert unlabelled['label_a'] is None and unlabelled['label_b'] is None
    with pytest.raises(TypeError, match='has no Mixer to draw'):
        mix_batch(nn.Linear(2, 2), batch)


def test_hook_arguments_and_model_check():
    for kwargs in (dict(interval=0), dict(num_samples=0), dict(lam=1.5)):
        with pytest.raises(ValueError):
            MixerVisualizationHook(**kwargs)
    runner = SimpleNamespace(model=nn.Linear(2, 2))
    with pytest.raises(TypeError, match='needs a model with a Mixer'):
        MixerVisualizationHook().before_train(runner)


@VISBACKENDS.register_module(force=True)
class RecordingVisBackend(BaseVisBackend):
    """Keep every image it is given, as a Tensorboard backend would."""

    images = []

    @property
    def experiment(self):
        return self

    def _init_env(self):
        pass

    def add_image(self, name, image, step=0, **kwargs):
        self.images.append((name, step, image.copy()))


class LossRecorder(Hook):
    """Keep every training loss, to compare two runs."""

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append({k: v.item() for k, v in outputs.items()})


def short_run(work_dir, with_hook):
    """4 iterations (2 epochs x 2) of the tiny config, in this process."""
    custom_hooks = [dict(type='SAMixMomentumHook', end_momentum=0.9999)]
    if with_hook:
        custom_hooks.append(
            dict(type='MixerVisualizationHook', interval=3, num_samples=4,
                 lam=0.4))
    cfg = tiny_samix_cfg(work_dir, custom_hooks,
                         f'vis_{with_hook}_{osp.basename(work_dir)}')
    cfg.visualizer.vis_backends = [
        dict(type='LocalVisBackend'),
        dict(type='RecordingVisBackend')
    ]
    recorder = LossRecorder()
    runner = build_runner(cfg, [(recorder, 'LOWEST')])
    runner.train()
    return runner, recorder.losses


def test_hook_writes_pictures_and_keeps_training_identical(
        tmp_path, monkeypatch):
    register_all_modules()
    display = mix_grid.mixer_display

    def greedy_display(model, inputs, lam=0.5):
        # a Mixer that draws random numbers
        random.random(), np.random.rand(), torch.rand(1)
        return display(model, inputs, lam)

    monkeypatch.setattr(mix_grid, 'mixer_display', greedy_display)
    monkeypatch.setattr(RecordingVisBackend, 'images', [])
    runner, losses = short_run(tmp_path / 'with', True)
    vis_dir = osp.join(runner.work_dir, 'mix_vis')
    # every 3rd iteration and the last one (4)
    assert sorted(os.listdir(vis_dir)) == ['iter_3.png', 'iter_4.png']
    hook = [h for h in runner.hooks
            if isinstance(h, MixerVisualizationHook)][0]
    assert hook.last_path == osp.join(vis_dir, 'iter_4.png')
    picture = mmcv.imread(hook.last_path, channel_order='rgb')
    assert picture.shape == (*picture_size(4, (160, 160)), 3)
    log = open(runner.logger.log_file).read()
    assert f'saved to {hook.last_path}' in log
    # every backend of runner.visualizer got the same pictures
    recorded = RecordingVisBackend.images
    assert [(name, step) for name, step, _ in recorded] == [('mix_vis', 3),
                                                            ('mix_vis', 4)]
    np.testing.assert_array_equal(recorded[-1][2], picture)
    local = osp.join(runner.log_dir, 'vis_data', 'vis_image', 'mix_vis_4.png')
    np.testing.assert_array_equal(mmcv.imread(local), mmcv.imread(
        hook.last_path))

    monkeypatch.undo()
    plain, plain_losses = short_run(tmp_path / 'without', False)
    assert not osp.exists(osp.join(plain.work_dir, 'mix_vis'))
    assert len(losses) == 4 and losses == plain_losses  # bit-identical
    state, plain_state = runner.model.state_dict(), plain.model.state_dict()
    assert all(torch.equal(state[k], plain_state[k]) for k in state)
