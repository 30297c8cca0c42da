# Copyright (c) samix_mm contributors. All rights reserved.
"""Checkpoints are complete or absent; auto-resume takes a complete one."""
import inspect
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from uuid import uuid4

import pytest
import torch
from mmengine.runner import Runner
from mmengine.testing.runner_test_case import ToyModel
from torch.utils.data import Dataset

import samix_mm.fileio.atomic_local_backend as atomic
from samix_mm.engine.hooks.atomic_checkpoint_hook import \
    is_complete_checkpoint
from samix_mm.fileio import atomic_write
from samix_mm.utils import register_safe_loader

SIZE = 16 << 20  # 16 MiB per write: long enough to be killed inside one

# The child runs the very source of ``atomic_write`` (without importing
# torch and mmengine, so that it starts in milliseconds).
WRITER = '\n'.join([
    'import os, os.path as osp, sys, uuid',
    'from typing import Union',
    'from pathlib import Path',
    inspect.getsource(atomic_write),
    'print("ready", flush=True)',
    'i = 0',
    'while True:',
    '    i += 1',
    f'    atomic_write(bytes([i % 251]) * {SIZE}, sys.argv[1])',
])


def test_atomic_write_survives_sigkill(tmp_path):
    """Kill a process that rewrites a file in a loop, many times over: the
    file is always one whole version, never a mix or a cut-off one."""
    target = tmp_path / 'epoch_1.pth'
    for delay in (0.05, 0.13, 0.21, 0.34, 0.55):
        proc = subprocess.Popen([sys.executable, '-c', WRITER, str(target)],
                                stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b'ready'
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if target.exists():
            data = target.read_bytes()
            assert len(data) == SIZE
            assert data == data[:1] * SIZE
    leftovers = [p.name for p in tmp_path.iterdir() if p != target]
    # the kills landed inside writes (each left its temporary file) ...
    assert leftovers
    # ... and nothing else was left
    assert all(name.startswith('.epoch_1.pth.') and name.endswith('.tmp')
               for name in leftovers), leftovers


class Pairs(Dataset):

    def __init__(self) -> None:
        self.inputs = torch.randn(6, 2, generator=torch.Generator(
        ).manual_seed(0))

    def __len__(self) -> int:
        return 6

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.inputs[index], data_samples=torch.ones(1))


def build_runner(work_dir, max_epochs, resume=False):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'atomic_{uuid4().hex}',
        default_scope='samix_mm',
        train_dataloader=dict(
            dataset=Pairs(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=3,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(
                type='AtomicCheckpointHook', interval=1, max_keep_ckpts=1)),
        custom_hooks=[dict(type='SafeCheckpointHook')],
        randomness=dict(seed=0),
        resume=resume,
        log_level='INFO')


def log_text(work_dir):
    logs = sorted(work_dir.glob('*/*.log'))
    return logs[-1].read_text()


def test_failed_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    """A save that dies before the rename (here: an exception) leaves the
    previous checkpoint and ``last_checkpoint`` as they were, even with
    ``max_keep_ckpts=1`` (mmengine deletes the old file before saving)."""
    register_safe_loader()
    real_replace = os.replace

    def die_on_epoch_2(src, dst):
        if osp.basename(dst) == 'epoch_2.pth':
            raise KeyboardInterrupt('killed while saving')
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, 'replace', die_on_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        build_runner(tmp_path, max_epochs=3).train()
    names = sorted(p.name for p in tmp_path.iterdir()
                   if p.suffix != '.py' and p.is_file())
    assert names == ['epoch_1.pth', 'last_checkpoint'], names
    assert is_complete_checkpoint(str(tmp_path / 'epoch_1.pth'))
    pointer = (tmp_path / 'last_checkpoint').read_text()
    assert pointer == str(tmp_path / 'epoch_1.pth')


def test_resume_auto_skips_partial_newest_checkpoint(tmp_path):
    """The state after a kill in the middle of a non-atomic save:
    ``last_checkpoint`` names a truncated ``epoch_3.pth`` and a partial
    temporary file lies around. ``--resume`` takes ``epoch_2.pth``, not
    the ``epoch_9.pth`` an abandoned earlier run left behind."""
    register_safe_loader()
    build_runner(tmp_path, max_epochs=2).train()
    good = tmp_path / 'epoch_2.pth'
    data = good.read_bytes()
    (tmp_path / 'epoch_3.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'epoch_9.pth').write_bytes(data)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    stale = tmp_path / '.epoch_3.pth.999999.0123abcd.tmp'
    stale.write_bytes(data[:100])
    assert not is_complete_checkpoint(str(tmp_path / 'epoch_3.pth'))

    runner = build_runner(tmp_path, max_epochs=4, resume=True)
    runner.train()
    log = log_text(tmp_path)
    assert f'skipped checkpoint {tmp_path}/epoch_3.pth' in log
    assert 'resumed epoch: 2, iter: 4' in log
    assert not stale.exists()
    assert runner.iter == 8
    assert is_complete_checkpoint(str(tmp_path / 'epoch_4.pth'))
    assert (tmp_path / 'last_checkpoint').read_text().endswith('epoch_4.pth')


def test_resume_auto_without_last_checkpoint_file(tmp_path):
    """Killed between the checkpoint's rename and ``last_checkpoint``'s:
    the newest complete checkpoint is still found."""
    register_safe_loader()
    build_runner(tmp_path, max_epochs=1).train()
    (tmp_path / 'last_checkpoint').unlink()
    runner = build_runner(tmp_path, max_epochs=2, resume=True)
    runner.train()
    assert 'resumed epoch: 1, iter: 2' in log_text(tmp_path)

