# Copyright (c) samix_mm contributors. All rights reserved.
"""Two CPU processes (gloo) keep every SAMix parameter identical."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from samix_mm.utils.dist_utils import (setup_cpu_distributed,
                                       teardown_distributed)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HERE = osp.dirname(osp.abspath(__file__))
CFG = osp.join(HERE, 'samix_dist_cfg.py')  # dumps replica_rank<r>.pth


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU (gloo) only')
def test_two_processes_keep_identical_replicas(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=HERE,
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ['PATH'])
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', CFG, '2', '--work-dir',
         str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rank0, rank1 = (torch.load(tmp_path / f'replica_rank{r}.pth',
                               weights_only=True) for r in (0, 1))
    assert rank0['world_size'] == rank1['world_size'] == 2
    params = rank0['params']
    # online and momentum encoders, Mixer and all four heads
    parts = {name.split('.')[0] for name in params}
    assert parts == {'backbone', 'backbone_k', 'mixer', 'head_one',
                     'head_mix', 'head_one_k', 'head_mix_k'}
    differ = [name for name in params if not torch.equal(
        rank0['state_dict'][name], rank1['state_dict'][name])]
    assert not differ, differ
    state0 = rank0['optimizer']['state']
    state1 = rank1['optimizer']['state']
    assert state0.keys() == state1.keys() and state0
    for idx in state0:
        for key in state0[idx]:
            assert torch.equal(state0[idx][key], state1[idx][key])
    # The processes saw different images: without SyncBN (the config's
    # choice) each keeps its own BN statistics. Rank 0's go to the
    # checkpoint.
    buffers = [k for k in rank0['state_dict'] if k.endswith('running_mean')]
    assert any(not torch.equal(rank0['state_dict'][k], rank1['state_dict'][k])
               for k in buffers)
    ckpt = torch.load(tmp_path / 'epoch_2.pth', weights_only=True)
    assert all(torch.equal(ckpt['state_dict'][k], rank0['state_dict'][k])
               for k in rank0['state_dict'])


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU (gloo) only')
def test_a_nan_on_one_process_skips_the_step_on_both(tmp_path):
    """GuardedDistributedDataParallel: a NaN loss on process 1 only makes
    both processes skip that step (no backward, no update, no EMA), and
    training goes on with identical replicas."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=HERE,
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ['PATH'])
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh',
         osp.join(HERE, 'samix_dist_skip_cfg.py'), '2', '--work-dir',
         str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rank in (0, 1):
        report = torch.load(tmp_path / f'skip_report_rank{rank}.pth',
                            weights_only=True)
        assert report['skipped'] == [1], rank
        assert report['changed'] and not any(report['changed']), rank
    rank0, rank1 = (torch.load(tmp_path / f'replica_rank{r}.pth',
                               weights_only=True) for r in (0, 1))
    differ = [name for name in rank0['params'] if not torch.equal(
        rank0['state_dict'][name], rank1['state_dict'][name])]
    assert not differ, differ


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU (gloo) only')
def test_checkpointed_mixer_branch_trains_identically_with_ddp(tmp_path):
    """model.checkpoint_mixer_branch=True under two gloo processes ends
    with the same parameters and buffers as the plain step."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=HERE,
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ['PATH'])
    states = []
    for flag in (False, True):
        work = tmp_path / str(flag)
        proc = subprocess.run(
            ['bash', 'tools/dist_train.sh', CFG, '2', '--work-dir',
             str(work), '--cfg-options',
             f'model.checkpoint_mixer_branch={flag}'],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        states.append(torch.load(work / 'replica_rank0.pth',
                                 weights_only=True)['state_dict'])
    plain, ckpt = states
    differ = [k for k in plain if not torch.equal(plain[k], ckpt[k])]
    assert not differ, differ


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU (gloo) only')
def test_sync_bn_on_cpu_is_refused_in_one_line():
    cfg = Config(dict(sync_bn='torch'))
    with pytest.raises(ValueError) as err:
        setup_cpu_distributed(cfg, 'pytorch')
    msg = str(err.value)
    assert msg.startswith("sync_bn='torch' needs CUDA GPUs") and \
        'remove sync_bn' in msg and '\n' not in msg
    assert not torch.distributed.is_initialized()


def test_teardown_destroys_the_process_group(tmp_path):
    # A process that exits with a live gloo group can abort in C++ while its
    # peers still talk to it (seen as a flaky SIGABRT of dist_train.sh).
    dist = torch.distributed
    teardown_distributed()  # no group: nothing to do, no error
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store',
                            rank=0, world_size=1)
    try:
        teardown_distributed()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
