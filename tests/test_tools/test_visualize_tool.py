# Copyright (c) samix_mm contributors. All rights reserved.
"""tools/analysis_tools/visualize_mixed_samples.py and the picture that
tools/train.py reports, run as a user runs them."""
import os
import os.path as osp
import subprocess
import sys

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules, safe_load
from samix_mm.visualization import mixed_batch_grid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')
TOOL = osp.join('tools', 'analysis_tools', 'visualize_mixed_samples.py')


def run(args):
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT
    env.setdefault('OMP_NUM_THREADS', '1')
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One epoch of 2 iterations; the demo's hook draws after the last."""
    work_dir = str(tmp_path_factory.mktemp('vis_train'))
    proc = run(['tools/train.py', CFG, '--work-dir', work_dir,
                '--cfg-options', 'train_dataloader.dataset.num_samples=32',
                'train_cfg.max_epochs=1'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir, proc


def test_train_prints_the_newest_picture(trained):
    work_dir, proc = trained
    picture = osp.join(work_dir, 'mix_vis', 'iter_2.png')
    assert f'[samix_mm] mixed samples: {picture}' in proc.stdout
    assert mmcv.imread(picture).shape == (8 * 32 + 9 * 2, 4 * 32 + 5 * 2, 3)


def test_tool_draws_the_checkpoint(trained, tmp_path):
    work_dir, _ = trained
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    out = str(tmp_path / 'new_dir' / 'mixed.png')
    proc = run([TOOL, CFG, checkpoint, '--out', out, '--num', '5', '--lam',
                '0.3', '--split', 'val'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'saved to {out}' in proc.stdout
    picture = mmcv.imread(out)
    assert picture.shape == (5 * 32 + 6 * 2, 4 * 32 + 5 * 2, 3)

    # the same picture as the checkpoint's model gives here
    register_all_modules()
    cfg = Config.fromfile(CFG)
    model = MODELS.build(cfg.model)
    model.load_state_dict(safe_load(checkpoint)['state_dict'])
    cfg.val_dataloader.update(batch_size=5)
    batch = next(iter(Runner.build_dataloader(cfg.val_dataloader)))
    expected = mixed_batch_grid(model, batch, num_samples=5, lam=0.3)
    np.testing.assert_array_equal(picture, expected)
    # and its first cell is the first validation image, colours included
    first = batch['inputs'][0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(picture[2:34, 2:34], first)


def test_tool_refuses_a_bad_checkpoint(tmp_path):
    bad = tmp_path / 'bad.pth'
    bad.write_text('not a checkpoint')
    proc = run([TOOL, CFG, str(bad), '--out', str(tmp_path / 'x.png')])
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [f'error: checkpoint {bad} is truncated or not a torch '
                     'checkpoint'], proc.stderr[-2000:]
    assert not osp.exists(tmp_path / 'x.png')
