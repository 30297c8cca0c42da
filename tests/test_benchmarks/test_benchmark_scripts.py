# Copyright (c) samix_mm contributors. All rights reserved.
"""The benchmark scripts run end to end on tiny inputs (smoke tests)."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')


def run(args, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_step_cost_ratios_and_breakdown(tmp_path):
    out = tmp_path / 'cost.json'
    run(['benchmarks/step_cost.py', '--setting', 'r18-cifar', '--methods',
         'vanilla', 'samixp', '--rounds', '1', '--warmup', '0',
         '--no-memory', '--out', str(out)])
    result = json.loads(out.read_text())
    assert result['ratio_to_vanilla']['vanilla'] == 1.0
    assert result['median_step_s']['samixp'] > 0
    out = tmp_path / 'parts.json'
    run(['benchmarks/step_cost.py', '--setting', 'r18-cifar', '--breakdown',
         '--rounds', '1', '--warmup', '0', '--out', str(out)])
    parts = json.loads(out.read_text())
    # the stage forward is part of the full forward
    assert 0 < parts['momentum_fwd_to_stage'] < parts['momentum_fwd_full'] \
        * 1.5
    assert parts['samix_floor_x_vanilla'] > 2


def test_cifar10_accuracy_on_generated_folders(tmp_path):
    rng = np.random.default_rng(0)
    for split, num in (('train', 3), ('test', 2)):
        for name in CLASSES:
            folder = tmp_path / 'jpg' / split / name
            folder.mkdir(parents=True)
            for i in range(num):
                img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                cv2.imwrite(str(folder / f'{i:04d}.jpg'), img)
    out = tmp_path / 'acc.json'
    proc = run(['benchmarks/cifar10_accuracy.py', '--data-root',
                str(tmp_path / 'jpg'), '--per-class', '2', '--epochs', '1',
                '--width', '8', '--methods', 'mixup', 'samix', '--threads',
                '1', '--ema-momentum', '0.9', '0.99', '--work-dir',
                str(tmp_path / 'work'), '--out', str(out)])
    result = json.loads(out.read_text())['results']
    assert set(result) == {'mixup', 'samix'}
    assert len(result['mixup']['top1']['accuracy/top1']) == 1
    assert {'accuracy/top1_one_k', 'accuracy/top1_mix_q'} <= set(
        result['samix']['top1'])
    # 2 of the 3 images per class were linked into the subset
    train = tmp_path / 'work' / 'cifar10-2pc' / 'train'
    assert sorted(os.listdir(train / 'cat')) == ['0000.jpg', '0001.jpg']
    cfg = (tmp_path / 'work' / 'samix' / 'samix_cifar10.py').read_text()
    assert 'momentum=0.9' in cfg and 'end_momentum=0.99' in cfg
    assert 'samix' in proc.stdout


def test_cifar10_accuracy_names_a_missing_folder(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, 'benchmarks/cifar10_accuracy.py', '--data-root',
         str(tmp_path), '--work-dir', str(tmp_path / 'w')], cwd=ROOT,
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'airplane is missing' in last and '--data-root' in last
