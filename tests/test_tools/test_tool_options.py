# Copyright (c) samix_mm contributors. All rights reserved.
"""tools/test.py ``--tta`` and ``--show-dir`` (mmpretrain's meaning) on a
SAMix and a baseline checkpoint, and the one-line refusals of bad options
of tools/test.py and tools/train.py."""
import glob
import importlib.util
import os.path as osp
import sys

import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.device import is_cuda_available
from mmengine.runner import Runner
from PIL import Image

from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = dict(
    samix=osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py'),
    baseline=osp.join(ROOT, 'configs', 'mixup_baselines',
                      'resnet18-w32_1xb64-mixup-15e_synthetic-shapes.py'))
#: The baseline made as small as the tiny SAMix config.
SMALL = {
    'model.backbone.base_channels': 16,
    'model.head.in_channels': 128,
    'test_dataloader.dataset.num_samples': 64,
    'test_dataloader.num_workers': 0,
    'test_dataloader.persistent_workers': False,
}
NUM_TEST = 64


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'samix_tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config(kind):
    cfg = Config.fromfile(CONFIGS[kind])
    if kind == 'baseline':
        cfg.merge_from_dict(SMALL)
    return cfg


def options(kind):
    return ['--cfg-options'] + [f'{k}={v}' for k, v in SMALL.items()
                                ] if kind == 'baseline' else []


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """A randomly initialised checkpoint of each kind."""
    register_all_modules()
    folder = tmp_path_factory.mktemp('ckpt')
    paths = {}
    for kind in CONFIGS:
        model = MODELS.build(config(kind).model)
        model.init_weights()
        paths[kind] = str(folder / f'{kind}.pth')
        torch.save(dict(state_dict=model.state_dict()), paths[kind])
    return paths


def run_tool(monkeypatch, name, *argv):
    """``tools/<name>.py ARGV`` in this process."""
    monkeypatch.setattr(sys, 'argv', [f'tools/{name}.py', *argv])
    load_tool(name).main()


def scores_of_flips(kind, checkpoint):
    """Every ``pred_score*`` of the model, averaged over each test image
    and its horizontal flip, in test order."""
    cfg = config(kind)
    # as the Runner builds it: with the config's data_preprocessor
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    model.load_state_dict(torch.load(checkpoint)['state_dict'])
    model.eval()
    merged = []
    with torch.no_grad():
        for batch in Runner.build_dataloader(cfg.test_dataloader):
            data = model.data_preprocessor(batch, False)
            samples = data['data_samples']
            views = [
                model.predict(inputs, [s.clone() for s in samples])
                for inputs in (data['inputs'], data['inputs'].flip(-1))
            ]
            for first, flipped in zip(*views):
                merged.append({
                    k: (first.get(k) + flipped.get(k)) / 2
                    for k in first.keys() if k.startswith('pred_score')
                })
    return merged


@pytest.mark.parametrize('kind', list(CONFIGS))
def test_tta_averages_every_head_over_flips(kind, checkpoints, tmp_path,
                                            monkeypatch, capsys):
    out = str(tmp_path / 'tta.pkl')
    run_tool(monkeypatch, 'test', CONFIGS[kind], checkpoints[kind],
             '--work-dir', str(tmp_path), '--tta', '--out', out,
             *options(kind))
    preds = mmengine.load(out)
    expected = scores_of_flips(kind, checkpoints[kind])
    assert len(preds) == len(expected) == NUM_TEST
    heads = 5 if kind == 'samix' else 1  # pred_score (+ 4 heads)
    for pred, exp in zip(preds, expected):
        assert len(exp) == heads
        for field, score in exp.items():
            torch.testing.assert_close(pred[field], score)
        assert pred['pred_label'].item() == pred['pred_score'].argmax()
    correct = sum(int(p['pred_label'] == p['gt_label']) for p in preds)
    printed = f'accuracy/top1: {100 * correct / NUM_TEST:.2f}'
    assert printed in capsys.readouterr().out


def test_tta_uses_the_configs_tta_model():
    tool = load_tool('test')
    cfg = Config(dict(
        model=dict(type='SAMixClassifier'),
        tta_model=dict(type='AverageClsScoreTTA'),
        test_dataloader=dict(dataset=dict(
            pipeline=[dict(type='Resize'), dict(type='PackInputs')]))))
    tool.enable_tta(cfg)
    assert cfg.model.type == 'AverageClsScoreTTA'
    assert cfg.model.module.type == 'SAMixClassifier'
    last = cfg.test_dataloader.dataset.pipeline[-1]
    assert last.type == 'TestTimeAug'
    assert cfg.test_dataloader.dataset.pipeline[0].type == 'Resize'
    assert last.transforms[1] == [dict(type='PackInputs')]


@pytest.mark.parametrize('kind', list(CONFIGS))
def test_show_dir_draws_every_test_image(kind, checkpoints, tmp_path,
                                         monkeypatch):
    show = tmp_path / 'show'
    run_tool(monkeypatch, 'test', CONFIGS[kind], checkpoints[kind],
             '--work-dir', str(tmp_path), '--show-dir', str(show),
             *options(kind))
    drawn = sorted(glob.glob(str(show / '*.png')))
    assert sorted(osp.basename(p) for p in drawn) == sorted(
        f'{i}_0.png' for i in range(NUM_TEST))
    # test image 0 with its prediction written over part of it
    raw = Runner.build_dataloader(config(kind).test_dataloader).dataset[0]
    with Image.open(show / '0_0.png') as img:
        changed = (np.asarray(img) != raw['inputs'].permute(1, 2, 0).numpy())
    assert 0.05 < changed.mean() < 0.9


@pytest.mark.parametrize('argv,message', [
    (['--tta', '--show-dir', 'x'], '--show-dir cannot draw the views of '
     '--tta; run with one of them at a time'),
    (['--show-dir', 'x', '--cfg-options', 'default_hooks.visualization=None'],
     "--show-dir needs default_hooks.visualization in the config; add "
     "visualization=dict(type='VisualizationHook')"),
])
def test_test_tool_refuses_in_one_line(argv, message, checkpoints,
                                       monkeypatch):
    with pytest.raises(SystemExit) as info:
        run_tool(monkeypatch, 'test', CONFIGS['samix'],
                 checkpoints['samix'], *argv)
    assert info.value.code == f'error: {message}'


@pytest.mark.skipif(is_cuda_available(), reason='AMP runs on this machine')
def test_amp_without_gpu_stops_in_one_line(tmp_path, monkeypatch):
    with pytest.raises(SystemExit) as info:
        run_tool(monkeypatch, 'train', CONFIGS['samix'], '--amp',
                 '--work-dir', str(tmp_path))
    assert info.value.code == (
        "error: --amp needs a GPU (mmengine's AmpOptimWrapper runs on CUDA, "
        'NPU, MLU or MUSA devices) and this machine has none; run without '
        '--amp to train in float32')
    assert not list(tmp_path.iterdir())  # nothing was started
