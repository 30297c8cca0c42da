# Copyright (c) samix_mm contributors. All rights reserved.
"""tools/analysis_tools/visualize_mixed_samples.py draws what the Runner
builds: the same masks as :class:`MixerVisualizationHook`, into the work
dir."""
import importlib.util
import os
import os.path as osp
import re
import sys

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from samix_mm.engine.hooks import MixerVisualizationHook
from samix_mm.utils import register_all_modules
from samix_mm.visualization import mix_grid, picture_size, row_titles

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'visualize_mixed_samples.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('visualize_mixed_samples',
                                                  TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def tiny_runner(work_dir, name):
    """The Runner of the tiny config, as tools/train.py builds it."""
    register_all_modules()
    cfg = Config.fromfile(CFG)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = name
    cfg.log_level = 'WARNING'
    return Runner.from_cfg(cfg)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A checkpoint of the freshly initialised tiny model, saved by mmengine
    (its meta holds the dataset's class names)."""
    work_dir = tmp_path_factory.mktemp('vis_ckpt')
    runner = tiny_runner(work_dir, 'vis_ckpt')
    runner.model.init_weights()
    runner.save_checkpoint(str(work_dir), 'epoch_1.pth',
                           save_optimizer=False, save_param_scheduler=False)
    return osp.join(str(work_dir), 'epoch_1.pth')


def run_tool(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', [TOOL, *args])
    load_tool().main()


@pytest.fixture
def displayed(monkeypatch):
    """Every ``mixer_display`` result, in call order."""
    calls = []
    display = mix_grid.mixer_display

    def recording_display(model, inputs, lam=0.5):
        calls.append(display(model, inputs, lam))
        return calls[-1]

    monkeypatch.setattr(mix_grid, 'mixer_display', recording_display)
    return calls


@pytest.fixture
def titles(monkeypatch):
    """Every row's titles, in drawing order."""
    rows = []

    def recording_titles(*args, **kwargs):
        rows.append(row_titles(*args, **kwargs))
        return rows[-1]

    monkeypatch.setattr(mix_grid, 'row_titles', recording_titles)
    return rows


def test_tool_and_hook_draw_the_same_masks(checkpoint, tmp_path, monkeypatch,
                                           displayed, titles):
    # the tool: the first 4 validation images of the tiny config
    monkeypatch.chdir(tmp_path)  # its logs go to ./work_dirs/
    run_tool(monkeypatch, CFG, checkpoint, '--out', 'tool.png', '--num', '4',
             '--lam', '0.3', '--split', 'val', '--cfg-options',
             f'experiment_name=vis_tool_{tmp_path.name}')
    tool_picture = mmcv.imread(tmp_path / 'tool.png')
    assert tool_picture.shape == (*picture_size(4, (160, 160)), 3)
    assert len(displayed) == 1
    tool_mix = displayed.pop()

    # the hook, in a Runner of the same config, on the same batch
    runner = tiny_runner(tmp_path / 'train', f'vis_hook_{tmp_path.name}')
    runner.load_checkpoint(checkpoint, strict=True)
    loader_cfg = runner.cfg.val_dataloader.copy()
    loader_cfg.update(batch_size=4)
    batch = next(iter(Runner.build_dataloader(loader_cfg)))
    hook = MixerVisualizationHook(interval=1, num_samples=4, lam=0.3)
    hook.after_train_iter(runner, 0, data_batch=batch)
    assert len(displayed) == 1
    hook_mix = displayed.pop()

    # the same normalised images (the config's data preprocessor) ...
    prep = runner.model.data_preprocessor
    assert prep.mean.flatten().tolist() == pytest.approx([126.4, 126.7, 127.7])
    expected = (torch.stack(batch['inputs']).flip(1).float() -
                prep.mean) / prep.std
    torch.testing.assert_close(hook_mix['a'], expected)
    torch.testing.assert_close(tool_mix['a'], hook_mix['a'])
    # ... hence the same masks, by value, and the same picture
    torch.testing.assert_close(tool_mix['mask'], hook_mix['mask'])
    torch.testing.assert_close(tool_mix['mixed'], hook_mix['mixed'])
    np.testing.assert_array_equal(tool_picture, mmcv.imread(hook.last_path))
    # titled with the class names of sample i and of its partner i - 1
    # (class i % 10 in SyntheticShapes), for the tool then the hook
    assert [row[:2] for row in titles] == 2 * [['A: circle', 'B: cross'],
                                               ['A: square', 'B: circle'],
                                               ['A: triangle', 'B: square'],
                                               ['A: cross', 'B: triangle']]
    assert titles[0][3] == 'mixed, λ = 0.30'


def test_tool_writes_into_the_work_dir(checkpoint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_tool(monkeypatch, CFG, checkpoint, '--num', '2', '--cfg-options',
             f'experiment_name=vis_default_{tmp_path.name}')
    # like tools/train.py: ./work_dirs/<config name>, into mix_vis/, named
    # after the checkpoint and the split
    work_dir = tmp_path / 'work_dirs' / 'samix_tiny_synthetic'
    picture = mmcv.imread(work_dir / 'mix_vis' / 'epoch_1_train.png')
    assert picture.shape == (*picture_size(2, (160, 160)), 3)
    assert os.listdir(tmp_path) == ['work_dirs']


@pytest.mark.parametrize('args, message', [
    (['--num', '0'], '--num must be >= 1, got 0'),
    (['--lam', '1.5'], '--lam must be in [0, 1], got 1.5'),
    (['--out', 'x.txt'], "--out must end with one of ('.png', '.jpg', "
     "'.jpeg'), got x.txt"),
    (['--split', 'val', '--cfg-options', 'val_dataloader=None'],
     'the config has no val_dataloader; use another --split'),
])
def test_tool_refuses_bad_arguments(checkpoint, tmp_path, monkeypatch, args,
                                    message):
    with pytest.raises(SystemExit, match='^error: ' + re.escape(message)):
        run_tool(monkeypatch, CFG, checkpoint, '--work-dir', str(tmp_path),
                 *args)
    assert os.listdir(tmp_path) == []
