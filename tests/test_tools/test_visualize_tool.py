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

from samix_mm.utils import register_all_modules
from samix_mm.visualization import cell_box, picture_size

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
    assert mmcv.imread(picture).shape == (*picture_size(8, (160, 160)), 3)


def test_tool_draws_the_checkpoint(trained, tmp_path):
    work_dir, _ = trained
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    out = str(tmp_path / 'new_dir' / 'mixed.png')
    proc = run([TOOL, CFG, checkpoint, '--out', out, '--num', '5', '--lam',
                '0.3', '--split', 'val', '--work-dir', str(tmp_path)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'saved to {out}' in proc.stdout
    picture = mmcv.imread(out, channel_order='rgb')
    assert picture.shape == (*picture_size(5, (160, 160)), 3)
    # its first cell is the first validation image, enlarged 5 times,
    # colours included (the masks: test_visualize_mixed_samples.py)
    register_all_modules()
    cfg = Config.fromfile(CFG)
    first = Runner.build_dataloader(cfg.val_dataloader).dataset[0]['inputs']
    top, left, bottom, right = cell_box(0, 0, (160, 160))
    np.testing.assert_array_equal(
        picture[top:bottom, left:right],
        first.flip(0).permute(1, 2, 0).numpy().repeat(5, 0).repeat(5, 1))


def test_tool_refuses_a_bad_checkpoint(tmp_path):
    bad = tmp_path / 'bad.pth'
    bad.write_text('not a checkpoint')
    proc = run([TOOL, CFG, str(bad), '--out', str(tmp_path / 'x.png')])
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [f'error: checkpoint {bad} is truncated or not a torch '
                     'checkpoint'], proc.stderr[-2000:]
    assert not osp.exists(tmp_path / 'x.png')
