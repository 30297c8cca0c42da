# Copyright (c) samix_mm contributors. All rights reserved.
"""A run killed with SIGKILL and resumed ends bit-identical to one that was
never interrupted (CPU, ``randomness.deterministic=True``)."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from uuid import uuid4

import numpy as np
import torch
from mmengine.runner import Runner
from mmengine.testing.runner_test_case import ToyMetric, ToyModel
from torch.utils.data import Dataset

from samix_mm.engine.hooks.atomic_checkpoint_hook import \
    is_complete_checkpoint
from samix_mm.utils.rng_state import get_rng_state, set_rng_state
from samix_mm.utils import safe_load

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# tiny SAMix, 3 epochs x 2 iterations, checkpoint every epoch; cosine
# momentum, annealed mask loss, numpy λ draws, random crop and flip
CFG = osp.join(ROOT, 'tests', 'test_reliability', 'samix_resume_cfg.py')


def command(work_dir, *extra):
    return [sys.executable, 'tools/train.py', CFG, '--work-dir',
            str(work_dir), *extra]


def env():
    return dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')


def train(work_dir, *extra):
    proc = subprocess.run(command(work_dir, *extra), cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def train_and_kill(work_dir):
    """Start training, SIGKILL it once the first checkpoint is written.

    While waiting, every ``epoch_*.pth`` that is visible must already be a
    complete file.
    """
    proc = subprocess.Popen(command(work_dir), cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    pointer = osp.join(work_dir, 'last_checkpoint')
    deadline = time.time() + 300
    while not osp.exists(pointer):
        for path in glob.glob(osp.join(work_dir, 'epoch_*.pth')):
            assert is_complete_checkpoint(path), f'partial file {path}'
        assert proc.poll() is None, 'training ended before the kill'
        assert time.time() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert not osp.exists(osp.join(work_dir, 'epoch_3.pth'))


def next_draws(rng_state):
    """The λ pair and the pairing the next SAMix step would draw."""
    set_rng_state(rng_state)
    return np.random.beta(2., 2., size=2), torch.randperm(16)


def test_killed_and_resumed_run_is_bit_identical(tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    uninterrupted = subprocess.Popen(  # runs beside the killed one
        command(full), cwd=ROOT, env=env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    train_and_kill(killed)
    _, err = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, err[-3000:]
    proc = train(killed, '--resume')
    log = open(sorted(glob.glob(osp.join(killed, '*', '*.log')))[-1]).read()
    assert 'resumed epoch: 1, iter: 2' in log or \
        'resumed epoch: 2, iter: 4' in log, log[-2000:]
    assert 'restored the random states of the checkpoint' in log
    assert 'done:' in proc.stdout

    a = safe_load(str(full / 'epoch_3.pth'))
    b = safe_load(str(killed / 'epoch_3.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == 6
    # online and momentum encoders, Mixer, heads (parameters and buffers)
    assert a['state_dict'].keys() == b['state_dict'].keys()
    prefixes = {key.split('.')[0] for key in a['state_dict']}
    assert {'backbone', 'backbone_k', 'mixer', 'head_one', 'head_mix',
            'head_one_k', 'head_mix_k'} <= prefixes
    differ = [k for k, v in a['state_dict'].items()
              if not torch.equal(v, b['state_dict'][k])]
    assert not differ, differ
    # optimizer: momentum buffers and hyper-parameters
    state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
    assert state_a.keys() == state_b.keys() and state_a
    for idx in state_a:
        for name in state_a[idx]:
            assert torch.equal(state_a[idx][name], state_b[idx][name])
    assert a['optimizer']['param_groups'] == b['optimizer']['param_groups']
    assert a['param_schedulers'] == b['param_schedulers']
    # the next λ and pairing
    lam_a, idx_a = next_draws(a['rng_state'])
    lam_b, idx_b = next_draws(b['rng_state'])
    assert np.array_equal(lam_a, lam_b) and torch.equal(idx_a, idx_b)


class NoisyPairs(Dataset):
    """12 samples whose loading draws from numpy and torch, like random
    augmentations in the main process (``num_workers=0``)."""

    def __len__(self) -> int:
        return 12

    def __getitem__(self, index: int) -> dict:
        noise = float(np.random.rand()) + torch.rand(1).item()
        return dict(inputs=torch.full((2, ), index + noise),
                    data_samples=torch.ones(1))


def iter_runner(work_dir, resume_from=None):
    """8 iterations of 3 of the 12 samples (infinite sampler: resuming from
    iteration 6 re-reads 6 batches, past the end of the first pass), a
    checkpoint every 3 and a validation every 2 iterations: iteration 6
    saves, then validates."""
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'iter_{uuid4().hex}',
        default_scope='samix_mm',
        train_dataloader=dict(
            dataset=NoisyPairs(),
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_size=3, num_workers=0),
        val_dataloader=dict(
            dataset=NoisyPairs(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=6, num_workers=0),
        val_evaluator=dict(type=ToyMetric),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01,
                                          momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=8, val_interval=2),
        default_hooks=dict(checkpoint=dict(
            type='AtomicCheckpointHook', interval=3, by_epoch=False)),
        custom_hooks=[dict(type='SafeCheckpointHook')],
        randomness=dict(seed=0, deterministic=True),
        load_from=resume_from, resume=resume_from is not None,
        log_level='WARNING')


def test_iteration_based_mid_epoch_resume_is_exact(tmp_path):
    """Resuming skips 6 batches whose loading draws random numbers; the
    states are set after the skip. Validation right after the checkpoint
    leaves them alone."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        full = iter_runner(tmp_path / 'full')
        full.train()
        rng_full = get_rng_state()
        resumed = iter_runner(tmp_path / 'resumed',
                              str(tmp_path / 'full' / 'iter_6.pth'))
        resumed.train()
    finally:  # the runners switch it on for the whole process
        torch.use_deterministic_algorithms(deterministic)
    assert resumed.iter == 8
    rng = get_rng_state()
    assert rng['python'] == rng_full['python']
    assert rng['numpy'] == rng_full['numpy']
    assert torch.equal(rng['torch'], rng_full['torch'])
    for key, value in full.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
