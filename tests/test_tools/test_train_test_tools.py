# Copyright (c) samix_mm contributors. All rights reserved.
"""tools/train.py, tools/test.py and tools/dist_train.sh as a user runs them."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')


def run(args, **kwargs):
    env = dict(os.environ)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env['PYTHONPATH'] = ROOT
    env.setdefault('OMP_NUM_THREADS', '1')
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, **kwargs)


def train(work_dir, *extra):
    return run([sys.executable, 'tools/train.py', CFG, '--work-dir',
                str(work_dir), *extra], timeout=600)


def scalars(work_dir):
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    rows = []
    for f in files:
        with open(f) as fh:
            rows += [json.loads(line) for line in fh]
    return rows


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('train')
    # 32 images, 10 epochs, AdamW 5e-3: the loss falls within 20 steps
    proc = train(work_dir, '--cfg-options',
                 'train_dataloader.dataset.num_samples=32',
                 'train_cfg.max_epochs=10', 'train_cfg.val_interval=10',
                 'optim_wrapper.optimizer.lr=0.005')
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work_dir, proc


def test_train_runs_evaluates_and_learns(trained):
    work_dir, proc = trained
    assert osp.isfile(osp.join(work_dir, 'epoch_10.pth'))
    rows = scalars(work_dir)
    train_rows = [r for r in rows if 'loss_one_q' in r]
    assert len(train_rows) == 20  # 10 epochs x 2 iterations
    first = sum(r['loss_one_q'] for r in train_rows[:5]) / 5
    last = sum(r['loss_one_q'] for r in train_rows[-5:]) / 5
    assert last < first - 0.2, (first, last)
    val = [r for r in rows if 'accuracy/top1' in r]
    assert val and 'accuracy/top1_one_k' in val[-1]
    assert 'done: logs and checkpoints in' in proc.stdout


def test_resume_auto_continues(tmp_path):
    assert train(tmp_path).returncode == 0  # 2 epochs
    proc = train(tmp_path, '--resume', '--cfg-options',
                 'train_cfg.max_epochs=3', 'train_cfg.val_interval=3')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = open(sorted(glob.glob(osp.join(tmp_path, '*', '*.log')))[-1]).read()
    assert 'resumed epoch: 2, iter: 20' in log
    iters = [r['iter'] for r in scalars(tmp_path) if 'loss_one_q' in r]
    # the second run starts at iteration 21, not from scratch
    assert iters[-10:] == list(range(21, 31))
    ckpt = torch.load(osp.join(tmp_path, 'epoch_3.pth'), weights_only=True,
                      map_location='cpu')
    assert ckpt['meta']['iter'] == 30


def test_test_tool_reports_all_heads(trained, tmp_path):
    work_dir, _ = trained
    out = tmp_path / 'preds.pkl'
    proc = run([sys.executable, 'tools/test.py', CFG,
                osp.join(work_dir, 'epoch_10.pth'), '--work-dir',
                str(tmp_path), '--out', str(out)], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'accuracy/top1_mix_q' in proc.stdout
    assert 'accuracy/top1_best' in proc.stdout
    assert out.is_file()


def test_test_tool_refuses_checkpoint_of_another_model(trained, tmp_path):
    work_dir, _ = trained
    proc = run([sys.executable, 'tools/test.py', CFG,
                osp.join(work_dir, 'epoch_10.pth'), '--cfg-options',
                'model.head_one.num_classes=7',
                'model.head_mix.num_classes=7',
                'model.head_mix_k.num_classes=7'], timeout=300)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'does not match the model of this config' in last
    assert 'wrong shape' in last


def test_unknown_component_type_is_named(tmp_path):
    proc = train(tmp_path, '--cfg-options', 'model.mixer.type=PixelMixr')
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "error: no type 'PixelMixr' in the samix_mm::model registry; did "
        "you mean 'PixelMixer'?"]


def test_unknown_config_key_is_named(tmp_path):
    proc = train(tmp_path, '--cfg-options', 'model.mixer.lam_concatt=True')
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        'error: PixelMixer (samix_mm.models.mixers.pixel_mixer) has no '
        "argument 'lam_concatt'; did you mean 'lam_concat'?"]


def test_dist_train_two_cpu_processes(tmp_path):
    proc = run(['bash', 'tools/dist_train.sh', CFG, '2', '--work-dir',
                str(tmp_path), '--cfg-options', 'train_cfg.max_epochs=1',
                'train_cfg.val_interval=1'], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(tmp_path, 'epoch_1.pth'))
    log = open(sorted(glob.glob(osp.join(tmp_path, '*', '*.log')))[-1]).read()
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    # 160 samples / (2 processes x 16) = 5 iterations per epoch
    iters = [r['iter'] for r in scalars(tmp_path) if 'loss_one_q' in r]
    assert max(iters) == 5
