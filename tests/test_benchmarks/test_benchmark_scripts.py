# Copyright (c) samix_mm contributors. All rights reserved.
"""The benchmark scripts run end to end on tiny inputs (smoke tests)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

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


def test_breakdown_times_the_code_loss_runs(monkeypatch):
    """``--breakdown`` calls the classifier's own branch methods, so its
    passes cannot drift from the real step."""
    import argparse
    import importlib.util

    from samix_mm.models.classifiers import SAMixClassifier
    spec = importlib.util.spec_from_file_location(
        'step_cost', osp.join(ROOT, 'benchmarks', 'step_cost.py'))
    step_cost = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(step_cost)
    calls = []
    for name in ('branch_loss', 'mixer_branch'):
        real = getattr(SAMixClassifier, name)
        monkeypatch.setattr(
            SAMixClassifier, name,
            lambda self, *a, _real=real, _name=name: calls.append(_name) or
            _real(self, *a))
    args = argparse.Namespace(setting='r18-cifar', device='cpu', amp=False,
                              channels_last=False, warmup=0, rounds=1)
    parts = step_cost.breakdown(args)
    # the online pass, and the Mixer branch (which runs branch_loss)
    assert sorted(calls) == ['branch_loss', 'branch_loss', 'mixer_branch']
    assert parts['mixer_branch'] > 0


def make_jpg_folders(root, num_train, num_test):
    """CIFAR-10-like ``root/{train,test}/<class>/NNNN.jpg`` of noise."""
    rng = np.random.default_rng(0)
    for split, num in (('train', num_train), ('test', num_test)):
        for name in CLASSES:
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(num):
                img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                cv2.imwrite(str(folder / f'{i:04d}.jpg'), img)


def test_cifar10_accuracy_on_generated_folders(tmp_path):
    """Two seeds of two methods; each run's JSON; a re-run skips them."""
    make_jpg_folders(tmp_path / 'jpg', 3, 2)
    out = tmp_path / 'acc'
    args = ['benchmarks/cifar10_accuracy.py', '--data-root',
            str(tmp_path / 'jpg'), '--per-class', '2', '--epochs', '1',
            '--width', '8', '--methods', 'mixup', 'samix-bce', '--seeds',
            '0', '1', '--threads', '1', '--ema-momentum', '0.9', '0.99',
            '--work-dir', str(tmp_path / 'work'), '--out-dir', str(out)]
    proc = run(args)
    assert sorted(os.listdir(out)) == [
        'mixup_seed0.json', 'mixup_seed1.json', 'samix-bce_seed0.json',
        'samix-bce_seed1.json', 'summary.json']
    run0 = json.loads((out / 'samix-bce_seed0.json').read_text())
    assert {'accuracy/top1_one_k', 'accuracy/top1_mix_q'} <= set(
        run0['top1'])
    summary = json.loads((out / 'summary.json').read_text())['methods']
    assert summary['mixup']['seeds'] == [0, 1]
    finals = summary['samix-bce']['one_k']['final']
    mean = summary['samix-bce']['one_k']['final_mean_std'][0]
    assert mean == pytest.approx(sum(finals) / 2, abs=1e-3)
    # 2 of the 3 images per class were linked into the subset
    train = tmp_path / 'work' / 'cifar10-2pc' / 'train'
    assert sorted(os.listdir(train / 'cat')) == ['0000.jpg', '0001.jpg']
    cfg = (tmp_path / 'work' / 'samix-bce_seed1' /
           'samix-bce_cifar10.py').read_text()
    assert 'momentum=0.9' in cfg and 'end_momentum=0.99' in cfg
    assert "form='bce'" in cfg and 'seed=1' in cfg
    assert 'samix-bce' in proc.stdout
    # finished runs are not trained again
    (out / 'mixup_seed1.json').write_text(json.dumps(dict(
        run0, method='mixup', seed=1, top1={'accuracy/top1': [55.]})))
    # a run of another invocation (same budget) is summarised too
    (out / 'vanilla_seed1.json').write_text(json.dumps(dict(
        run0, method='vanilla', seed=1, top1={'accuracy/top1': [50.]})))
    run(args)
    stored = json.loads((out / 'summary.json').read_text())
    summary = stored['methods']
    assert summary['mixup']['top1']['final'][1] == 55.
    assert summary['vanilla']['seeds'] == [1]
    # per-seed differences of the answer's final top-1, on shared seeds
    answer = {
        seed: json.loads((out / f'samix-bce_seed{seed}.json').read_text())
        ['top1']['accuracy/top1'][-1] for seed in (0, 1)}
    diff = stored['differences']['mixup - vanilla']
    assert diff['seeds'] == [1] and diff['per_seed'] == [5.]
    diff = stored['differences']['samix-bce - mixup']
    assert diff['seeds'] == [0, 1]
    assert diff['per_seed'][1] == pytest.approx(answer[1] - 55., abs=1e-3)
    assert diff['mean_std'][0] == pytest.approx(
        sum(diff['per_seed']) / 2, abs=1e-3)
    # another budget is refused, not mixed in
    proc = subprocess.run([sys.executable, *args[:5], '--epochs', '2',
                           *args[7:]], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode != 0 and 'another budget' in proc.stderr


def test_cifar10_accuracy_names_a_missing_folder(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, 'benchmarks/cifar10_accuracy.py', '--data-root',
         str(tmp_path), '--work-dir', str(tmp_path / 'w'), '--out-dir',
         str(tmp_path / 'o')], cwd=ROOT,
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'airplane is missing' in last and '--data-root' in last


def test_ssl_linear_probe_loads_what_it_probes(tmp_path):
    """A checkpoint holding the random-init weights probes like `random`;
    `--encoder` picks `backbone.` or `backbone_k.` of a training
    checkpoint; `--data-root` probes on JPG folders."""
    import torch
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    try:
        import ssl_linear_probe as probe
    finally:
        sys.path.pop(0)
    probe.register_all_modules(False)
    weights = probe.build_encoder('random', 'online', 8, 0).state_dict()
    other = probe.build_encoder('random', 'online', 8, 1).state_dict()
    torch.save(weights, tmp_path / 'backbone.pth')
    torch.save(other, tmp_path / 'other.pth')
    state = {f'backbone.{k}': v for k, v in weights.items()}
    state.update({f'backbone_k.{k}': v for k, v in other.items()})
    torch.save(dict(state_dict=state), tmp_path / 'epoch_1.pth')
    common = ['--width', '8', '--train-samples', '60', '--test-samples',
              '40', '--steps', '30']
    rows = probe.main(['random', str(tmp_path / 'backbone.pth'),
                       str(tmp_path / 'epoch_1.pth'), *common, '--out',
                       str(tmp_path / 'probe.json')])
    assert rows[0]['test_top1'] == rows[1]['test_top1'] == rows[2][
        'test_top1']
    assert rows[0]['train_top1'] == rows[1]['train_top1']
    saved = json.loads((tmp_path / 'probe.json').read_text())
    assert [r['checkpoint'] for r in saved['results']][0] == 'random'
    momentum, = probe.main([str(tmp_path / 'epoch_1.pth'), '--encoder',
                            'momentum', *common])
    other, = probe.main([str(tmp_path / 'other.pth'), *common])
    assert (momentum['train_top1'], momentum['test_top1']) == (
        other['train_top1'], other['test_top1']) != (
            rows[0]['train_top1'], rows[0]['test_top1'])
    make_jpg_folders(tmp_path / 'jpg', 3, 2)  # more than is asked for
    row, = probe.main(['random', '--width', '8', '--data-root',
                       str(tmp_path / 'jpg'), '--train-samples', '20',
                       '--test-samples', '10', '--steps', '30'])
    # the first 2 of each training class, the first of each test class
    assert (row['train_images'], row['test_images']) == (20, 10)
    assert row['train_top1'] == 100.  # 20 noise images, 64-d features


@pytest.mark.parametrize('data', ['builtin', 'folder'])
def test_ssl_sweep_script_smoke(tmp_path, data):
    """benchmarks/ssl_sweep.sh: config writing, seeded runs (SAMix-C's
    pseudo-labels on the built-in data and on JPG folders), the probes in
    both BN modes, the report."""
    env = dict(os.environ, OMP_NUM_THREADS='1', SMOKE='1', EPOCHS='1',
               EVERY='1', WIDTH='8', VARIANTS='moco:1 samix_c', JOBS='1',
               PYTHON=sys.executable, WORK=str(tmp_path / 'work'),
               OUT=str(tmp_path / 'out'))
    if data == 'folder':
        make_jpg_folders(tmp_path / 'jpg', 7, 1)  # 70 images: 1 step
        env.update(DATA_ROOT=str(tmp_path / 'jpg'), VARIANTS='samix_c')
    proc = subprocess.run(['bash', 'benchmarks/ssl_sweep.sh'], cwd=ROOT,
                          env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out, work = tmp_path / 'out', tmp_path / 'work'
    online = json.loads((out / 'ssl_probe_online.json').read_text())
    runs = ['samix_c_s0'] if data == 'folder' else ['moco_s1', 'samix_c_s0']
    assert [(r['checkpoint'].split('/')[-2:], r['bn_stats'], r['iter'])
            for r in online['results']] == [
        (['random'], 'stored', 0), (['random'], 'clean', 0)] + [
        ([run, 'epoch_1.pth'], bn, 1 if data == 'folder' else 2)
        for run in runs for bn in ('stored', 'clean')]
    momentum = json.loads((out / 'ssl_probe_momentum.json').read_text())
    assert [(r['encoder'], r['checkpoint'].split('/')[-2])
            for r in momentum['results']] == [('momentum', 'samix_c_s0')] * 2
    # SAMix-C clustered the whole training set
    samples = 70 if data == 'folder' else 128
    assert re.search(f'pseudo-labels: .* of {samples} samples',
                     (work / 'samix_c_s0.out').read_text())
    cfg = work / 'cfg'
    assert 'randomness = dict(seed=0)' in (cfg / 'samix_c_s0.py').read_text()
    assert (cfg / 'samix_strong.py').read_text().count('in_channels=32') == 1
    samix_c = (cfg / 'samix_c.py').read_text()
    # the cluster head and the PCA follow the width (64 features)
    assert 'mixer_loss=dict(in_channels=64)' in samix_c
    assert 'pca_dim=64' in samix_c
    # the ablation variants inherit their (existing) ablation configs
    for variant, tag in (('samix_ctrl', 'no-mix-bb'),
                         ('samix_ramp', 'mix-bb-ramp')):
        base = re.search(r"^_base_ = '(.+)'$",
                         (cfg / f'{variant}.py').read_text(), re.M)[1]
        assert tag in base and osp.isfile(base)
    report = json.loads((out / 'ssl_report.json').read_text())
    assert list(report['modes']) == ['online/stored', 'online/clean',
                                     'momentum/stored', 'momentum/clean']
    assert 'acceptance: |control - MoCo v2| <= 1.5: - n/a' in (
        out / 'ssl_report.md').read_text()
    if data == 'builtin':
        assert 'randomness = dict(seed=1)' in (cfg / 'moco_s1.py').read_text()


def load_cifar10_accuracy():
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    try:
        import cifar10_accuracy
    finally:
        sys.path.pop(0)
    return cifar10_accuracy


def write_scalars(work_dir, rows):
    logs = work_dir / '20261201_000000' / 'vis_data'
    logs.mkdir(parents=True)
    (logs / 'scalars.json').write_text(
        ''.join(json.dumps(r) + '\n' for r in rows))


@pytest.mark.parametrize('old', [True, False])
def test_cifar10_accuracy_reads_old_and_new_top1_names(tmp_path, old):
    """``accuracy/top1`` is the answer (one_k) and ``best`` the best head;
    logs where ``accuracy/top1`` was the best head read the same."""
    bench = load_cifar10_accuracy()
    heads = {'accuracy/top1_one_k': 20., 'accuracy/top1_one_q': 30.}
    val = dict(heads, step=1)
    val.update({'accuracy/top1': 30.} if old else {
        'accuracy/top1': 20., 'accuracy/top1_best': 30.})
    write_scalars(tmp_path / 'samix', [dict(loss=2., iter=1), val])
    write_scalars(tmp_path / 'mixup', [{'accuracy/top1': 25., 'step': 1}])
    samix = bench.val_curves(str(tmp_path / 'samix'))
    assert samix['accuracy/top1_best'] == [30.]
    assert samix.get('accuracy/top1') == (None if old else [20.])
    assert bench.val_curves(str(tmp_path / 'mixup')) == {
        'accuracy/top1': [25.]}
    # per-run JSON files of older runs are summarised by today's names
    stored = {k: [v] for k, v in val.items() if k != 'step'}
    runs = [dict(method='samix', seed=0, minutes=1., top1=stored),
            dict(method='mixup', seed=0, minutes=1.,
                 top1={'accuracy/top1': [25.]})]
    summary = bench.summarize(runs)['samix']
    # the answer is one_k (20) in both log formats, not the best head (30)
    assert bench.paired_differences(runs)['samix - mixup']['per_seed'] == [
        -5.]
    assert summary['best']['final'] == [30.]
    assert summary['one_k']['final'] == [20.]
    assert ('top1' in summary) is not old
