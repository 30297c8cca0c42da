# Copyright (c) samix_mm contributors. All rights reserved.
"""The GPU CIFAR-10 driver end to end on a CPU, on a tiny generated set."""
import json
import os
import subprocess
import sys
import tarfile
import time

from mmengine.config import Config
from test_benchmark_scripts import CLASSES, ROOT, make_jpg_folders


def test_gpu_cifar10_driver_on_cpu(tmp_path):
    """Archive -> extracted, decoded once -> two methods through
    tools/train.py -> per-run JSON, summary and plots."""
    make_jpg_folders(tmp_path / 'jpg', 3, 2)
    archive = tmp_path / 'cifar10-jpg.tar.gz'
    with tarfile.open(archive, 'w:gz') as tar:
        for split in ('train', 'test'):
            tar.add(tmp_path / 'jpg' / split, arcname=split)
    out, cache = tmp_path / 'out', tmp_path / 'cache'
    args = [sys.executable, 'benchmarks/gpu_cifar10.py', '--archive',
            str(archive), '--extract-dir', str(tmp_path / 'x'),
            '--cache-dir', str(cache), '--device', 'cpu', '--epochs', '1',
            '--width', '8', '--methods', 'vanilla', 'samix',
            '--batch-size', '10', '--val-batch-size', '20',
            '--log-interval', '1', '--threads', '1',
            '--ema-momentum', '0.9', '0.99',
            '--work-dir', str(tmp_path / 'work'), '--out-dir', str(out)]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    start = time.time()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert sorted(os.listdir(out)) == [
        'loss.png', 'samix_seed0.json', 'summary.json', 'top1.png',
        'vanilla_seed0.json']
    for png in ('top1.png', 'loss.png'):
        assert (out / png).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # both splits decoded once into the cache, read by every run
    assert len(list(cache.glob('train_*.npy'))) == 1
    assert len(list(cache.glob('test_*.npy'))) == 1
    samix = json.loads((out / 'samix_seed0.json').read_text())
    assert samix['complete'] and samix['epochs_done'] == 1
    assert samix['budget'] == dict(per_class=3, epochs=1, width=8,
                                   ema_momentum=[0.9, 0.99], val_interval=1,
                                   batch_size=10, amp=False, device='cpu')
    heads = {'accuracy/top1_one_k', 'accuracy/top1_mix_k',
             'accuracy/top1_one_q', 'accuracy/top1_mix_q'}
    assert heads <= set(samix['top1'])
    for curve in samix['top1'].values():
        assert len(curve) == 1 and 0 <= curve[0] <= 100
    assert samix['s_per_iter'] > 0
    vanilla = json.loads((out / 'vanilla_seed0.json').read_text())
    assert list(vanilla['top1']) == ['accuracy/top1']
    # the run used the in-memory dataset without a loading transform
    cfg = (tmp_path / 'work' / 'samix_seed0' / 'samix_cifar10.py'
           ).read_text()
    assert "type='InMemoryImageFolder'" in cfg
    assert 'LoadImageChecked' not in cfg
    summary = json.loads((out / 'summary.json').read_text())
    assert set(summary['methods']) == {'vanilla', 'samix'}
    assert summary['methods']['samix']['one_k']['final'] == \
        samix['top1']['accuracy/top1_one_k']
    assert summary['complete'] == {'vanilla_seed0': True,
                                   'samix_seed0': True}
    assert 'samix' in proc.stdout and '1 epochs' in proc.stdout
    assert len(CLASSES) == 10
    print(f'driver: {time.time() - start:.1f} s')


def test_gpu_cifar10_ssl_stage_on_cpu(tmp_path):
    """MoCo v2 and SAMix-I on the in-memory folders, a checkpoint per
    epoch, the kNN monitor on each, JSON, summary and plots."""
    make_jpg_folders(tmp_path / 'jpg', 4, 2)
    out = tmp_path / 'out'
    args = [sys.executable, 'benchmarks/gpu_cifar10_ssl.py', '--data-root',
            str(tmp_path / 'jpg'), '--cache-dir', str(tmp_path / 'cache'),
            '--device', 'cpu', '--epochs', '2', '--width', '8',
            '--batch-size', '16', '--queue-len', '32', '--knn-k', '5',
            '--log-interval', '1', '--threads', '1',
            '--work-dir', str(tmp_path / 'work'), '--out-dir', str(out)]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert sorted(os.listdir(out)) == [
        'knn.png', 'mocov2_seed0.json', 'samix-i_seed0.json',
        'ssl_loss.png', 'ssl_summary.json']
    summary = json.loads((out / 'ssl_summary.json').read_text())
    assert 0 <= summary['random_init'] <= 100
    for name in ('mocov2_seed0', 'samix-i_seed0'):
        run = summary['variants'][name]
        # --knn-every defaults to ceil(epochs / 4) = 1
        assert run['epochs'] == [1, 2] and run['complete']
        assert all(0 <= v <= 100 for v in run['knn_top1'])
    samix = json.loads((out / 'samix-i_seed0.json').read_text())
    assert samix['budget']['images'] == 40 and samix['s_per_iter'] > 0
    cfg = (tmp_path / 'work' / 'samix-i_seed0' / 'samix-i_cifar10.py'
           ).read_text()
    assert "type='InMemoryImageFolder'" in cfg and 'MultiView' in cfg
    assert 'kNN top-1, random-init encoder' in proc.stdout


def load_driver():
    sys.path.insert(0, os.path.join(ROOT, 'benchmarks'))
    try:
        import gpu_cifar10
    finally:
        sys.path.pop(0)
    return gpu_cifar10


def driver_args(driver, tmp_path, *extra):
    args = driver.parse_args(['--data-root', str(tmp_path), '--device',
                              'cpu', '--work-dir', str(tmp_path / 'work'),
                              '--out-dir', str(tmp_path / 'out'), *extra])
    driver.resolve_device(args)
    os.makedirs(args.out_dir, exist_ok=True)
    return args


def test_auto_epochs_fit_the_budget(tmp_path):
    driver = load_driver()
    args = driver_args(driver, tmp_path, '--methods', 'vanilla', 'mixup',
                       'cutmix', 'samix', '--jobs', '4', '--est-epoch-s',
                       '30', '--est-startup-s', '25')
    now = time.time()
    assert driver.choose_epochs(args, now + 325.5) == 10
    assert driver.choose_epochs(args, now + 10) == 1  # at least one
    args.jobs = 2  # two waves of runs
    assert driver.choose_epochs(args, now + 325.5) == 5
    args.epochs = '7'
    assert driver.choose_epochs(args, now) == 7


def test_a_run_cut_at_the_deadline_keeps_its_epochs(tmp_path, monkeypatch):
    """Stopped after 2 of 5 epochs: the JSON holds them, marked
    incomplete, and a later call trains that run again."""
    driver = load_driver()
    args = driver_args(driver, tmp_path)
    plan = dict(epochs=5, budget=dict(epochs=5))
    monkeypatch.setattr(driver, 'run_config', lambda *a: Config(dict(x=1)))
    calls = []

    def cut(cfg_file, work_dir, args, deadline):
        calls.append(cfg_file)
        logs = os.path.join(work_dir, '20261201_000000', 'vis_data')
        os.makedirs(logs)
        rows = [dict(loss=2.3, time=0.02, data_time=0.001, iter=1),
                {'accuracy/top1': 31.0, 'step': 1},
                dict(loss=2.0, time=0.04, data_time=0.003, iter=2),
                {'accuracy/top1': 42.5, 'step': 2},
                dict(loss=1.9, time=0.03, data_time=0.002, iter=3)]
        with open(os.path.join(logs, 'scalars.json'), 'w') as f:
            f.write('\n'.join(json.dumps(r) for r in rows) + '\n')
        return 'deadline'

    monkeypatch.setattr(driver, 'train_until', cut)
    res = driver.run_method('cutmix', 3, args, str(tmp_path), plan,
                            time.time() + 100)
    saved = json.loads((tmp_path / 'out' / 'cutmix_seed3.json').read_text())
    assert saved == res
    assert res['top1'] == {'accuracy/top1': [31.0, 42.5]}
    assert not res['complete'] and res['epochs_done'] == 2
    assert res['s_per_iter'] == 0.03 and res['data_s_per_iter'] == 0.002
    driver.run_method('cutmix', 3, args, str(tmp_path), plan,
                      time.time() + 100)
    assert len(calls) == 2  # incomplete: trained again
    # no evaluation before the deadline: an error, no JSON
    monkeypatch.setattr(driver, 'train_until', lambda *a: 'deadline')
    res = driver.run_method('mixup', 0, args, str(tmp_path), plan,
                            time.time() + 100)
    assert 'after 0 evaluations' in res['error']
    assert not (tmp_path / 'out' / 'mixup_seed0.json').exists()
    # nothing is started past the deadline
    res = driver.run_method('mixup', 0, args, str(tmp_path), plan,
                            time.time())
    assert res['error'].startswith('not started')


def test_complete_runs_are_not_trained_again(tmp_path, monkeypatch):
    driver = load_driver()
    args = driver_args(driver, tmp_path)
    done = dict(method='samix', seed=0, top1={'accuracy/top1': [50.]},
                complete=True)
    (tmp_path / 'out' / 'samix_seed0.json').write_text(json.dumps(done))
    monkeypatch.setattr(driver, 'train_until', None)  # would fail if called
    assert driver.run_method('samix', 0, args, str(tmp_path), {},
                             time.time() + 100) == done
