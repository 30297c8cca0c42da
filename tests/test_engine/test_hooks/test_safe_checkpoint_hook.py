# Copyright (c) samix_mm contributors. All rights reserved.
import os
import os.path as osp
import pickle
import random
import subprocess
import zipfile
from uuid import uuid4

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import Runner, load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.testing.runner_test_case import ToyModel
from torch.utils.data import Dataset

from samix_mm.engine.hooks import SafeCheckpointHook
from samix_mm.utils import (CorruptCheckpointError, UnsafeCheckpointError,
                            from_plain_message_hub, register_safe_loader,
                            safe_load, to_plain_message_hub)
from samix_mm.utils.safe_checkpoint import NUMPY_SAFE_GLOBALS
from hook_runs import ROOT


class PairDataset(Dataset):
    """12 samples of 2 features, with numpy values in its meta info."""

    metainfo = dict(
        classes=('a', 'b'),
        palette=np.array([[1, 2, 3]]),
        scale=np.float32(0.5))

    def __init__(self) -> None:
        generator = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(12, 2, generator=generator)

    def __len__(self) -> int:
        return 12

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.inputs[index], data_samples=torch.ones(1))


class DrawHook(Hook):
    """Record the iteration and one draw of each generator per iteration."""

    def __init__(self) -> None:
        self.draws = []

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.draws.append((batch_idx, torch.rand(1).item(),
                           float(np.random.rand()), random.random()))


def build_runner(work_dir,
                 seed=0,
                 safe=True,
                 load_from=None,
                 resume=False,
                 by_epoch=False):
    """A tiny runner: 4 iterations (or 2 epochs of 4), checkpoint every 2
    iterations (or every epoch)."""
    train_cfg = dict(by_epoch=False, max_iters=4)
    if by_epoch:
        train_cfg = dict(by_epoch=True, max_epochs=2)
    draw_hook = DrawHook()
    custom_hooks = [draw_hook]
    if safe:
        custom_hooks.append(dict(type='SafeCheckpointHook'))
    runner = Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'safe_ckpt_{uuid4().hex}',
        default_scope='samix_mm',
        train_dataloader=dict(
            dataset=PairDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=3,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        param_scheduler=dict(
            type='MultiStepLR', milestones=[3], by_epoch=False),
        train_cfg=train_cfg,
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(
                type='CheckpointHook',
                interval=1 if by_epoch else 2,
                by_epoch=by_epoch)),
        custom_hooks=custom_hooks,
        randomness=dict(seed=seed),
        load_from=load_from,
        resume=resume,
        log_level='WARNING')
    return runner, draw_hook


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One uninterrupted run with the hook, and one without it."""
    register_safe_loader()
    work_dir = tmp_path_factory.mktemp('safe')
    runner, draw_hook = build_runner(work_dir)
    runner.train()
    vanilla_dir = tmp_path_factory.mktemp('vanilla')
    build_runner(vanilla_dir, safe=False)[0].train()
    return dict(
        work_dir=work_dir,
        draws=draw_hook.draws,
        losses=runner.message_hub.get_scalar('train/loss').data[0].tolist(),
        state_dict={
            k: v.clone()
            for k, v in runner.model.state_dict().items()
        },
        vanilla=osp.join(vanilla_dir, 'iter_4.pth'))


def allowed_names():
    names = set()
    for item in NUMPY_SAFE_GLOBALS:
        obj, name = item if isinstance(item, tuple) else (item, None)
        names.add(name or f'{obj.__module__}.{obj.__name__}')
    return names


def test_saved_checkpoint_is_plain(trained):
    path = osp.join(trained['work_dir'], 'iter_2.pth')
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    assert set(unsafe) <= allowed_names(), unsafe
    with torch.serialization.safe_globals(NUMPY_SAFE_GLOBALS):
        checkpoint = torch.load(path, weights_only=True)
    assert checkpoint['message_hub']['__plain__'] == 1
    loss = checkpoint['message_hub']['log_scalars']['train/loss']
    assert loss['log_history'] == pytest.approx(trained['losses'][:2])
    assert isinstance(checkpoint['meta']['iter'], int)
    assert isinstance(checkpoint['meta']['dataset_meta']['palette'],
                      np.ndarray)
    assert set(checkpoint['rng_state']) >= {'python', 'numpy', 'torch'}
    assert safe_load(path)['meta']['iter'] == 2


def test_message_hub_round_trip():
    hub = MessageHub.get_instance(f'hub_{uuid4().hex}')
    hub.update_scalar('train/loss', 1.5, count=2)
    hub.update_scalar('train/loss', np.float32(0.5))
    hub.update_info('eta', np.float64(3.0))
    plain = to_plain_message_hub(hub.state_dict())
    assert plain['__plain__'] == 1
    assert type(plain['runtime_info']['eta']) is float
    assert to_plain_message_hub(plain) is plain
    state = from_plain_message_hub(plain)
    assert isinstance(state['log_scalars']['train/loss'], HistoryBuffer)
    assert from_plain_message_hub(state) is state
    restored = MessageHub.get_instance(f'hub_{uuid4().hex}')
    restored.load_state_dict(state)
    log, count = restored.get_scalar('train/loss').data
    assert log.tolist() == [1.5, 0.5] and count.tolist() == [2, 1]
    assert restored.get_info('eta') == 3.0


def test_resume_restores_iter_scalars_and_rng(trained, tmp_path):
    work_dir = tmp_path / 'resume'
    work_dir.mkdir()
    path = osp.join(trained['work_dir'], 'iter_2.pth')
    runner, draw_hook = build_runner(work_dir, load_from=path, resume=True)
    runner.train()
    assert runner.iter == 4
    assert [d[0] for d in draw_hook.draws] == [2, 3]
    assert draw_hook.draws == trained['draws'][2:]
    log = runner.message_hub.get_scalar('train/loss').data[0].tolist()
    assert log == pytest.approx(trained['losses'])

    # Without its random states, the same checkpoint resumes with the
    # states of a fresh seed, which differ from those of iteration 2.
    checkpoint = safe_load(path)
    del checkpoint['rng_state']
    stripped = str(tmp_path / 'no_rng.pth')
    torch.save(checkpoint, stripped)
    runner, draw_hook = build_runner(
        tmp_path / 'control', load_from=stripped, resume=True)
    runner.train()
    assert [d[0] for d in draw_hook.draws] == [2, 3]
    assert draw_hook.draws[0][1:] != trained['draws'][2][1:]


def test_resume_by_epoch_restores_rng(tmp_path):
    register_safe_loader()
    runner, full = build_runner(tmp_path / 'full', by_epoch=True)
    runner.train()
    path = str(tmp_path / 'full' / 'epoch_1.pth')
    runner, resumed = build_runner(
        tmp_path / 'resumed', by_epoch=True, load_from=path, resume=True)
    runner.train()
    assert runner.epoch == 2
    assert resumed.draws == full.draws[4:]


def test_numpy1_checkpoint_loads(tmp_path):
    """Files written with numpy 1.x name ``numpy.core.multiarray``."""
    path2, path1 = str(tmp_path / 'np2.pth'), str(tmp_path / 'np1.pth')
    torch.save({'x': np.arange(3), 's': np.float32(2)}, path2)
    with zipfile.ZipFile(path2) as src, zipfile.ZipFile(path1, 'w') as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith('data.pkl'):
                data = data.replace(b'numpy._core.multiarray',
                                    b'numpy.core.multiarray')
            dst.writestr(name, data)
    assert 'numpy.core.multiarray._reconstruct' in \
        torch.serialization.get_unsafe_globals_in_checkpoint(path1)
    checkpoint = safe_load(path1)
    assert checkpoint['x'].tolist() == [0, 1, 2] and checkpoint['s'] == 2


def test_object_array_is_refused(tmp_path):
    path = str(tmp_path / 'objects.pth')
    torch.save({'x': np.array([1, 'a'], dtype=object)}, path)
    with pytest.raises(UnsafeCheckpointError, match='ObjectDType'):
        safe_load(path)


def test_load_from(trained, tmp_path):
    path = osp.join(trained['work_dir'], 'iter_4.pth')
    runner, _ = build_runner(tmp_path, load_from=path)
    runner.load_or_resume()
    for key, value in runner.model.state_dict().items():
        torch.testing.assert_close(value, trained['state_dict'][key])
    checkpoint = runner.load_checkpoint(path)
    assert isinstance(checkpoint['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)
    model = ToyModel()
    load_checkpoint(model, path)
    torch.testing.assert_close(model.linear1.weight,
                               trained['state_dict']['linear1.weight'])


class WriteMarker:
    """Unpickling it would run a shell command that creates a file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.mark.parametrize('zip_format', [True, False])
def test_malicious_pickle_is_not_executed(tmp_path, zip_format):
    register_safe_loader()
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    checkpoint = dict(state_dict={}, meta=WriteMarker(str(marker)))
    torch.save(checkpoint, path, _use_new_zipfile_serialization=zip_format)
    for load in (safe_load, CheckpointLoader.load_checkpoint):
        with pytest.raises(UnsafeCheckpointError) as info:
            load(path)
        message = str(info.value)
        assert path in message and 'system' in message
        assert '\n' not in message
        assert 'False' not in message  # never suggests an unsafe load
    assert not marker.exists()
    # Control: a plain unpickler does run the payload.
    control = tmp_path / 'control'
    pickle.loads(pickle.dumps(WriteMarker(str(control))))
    assert control.exists()


def test_vanilla_mmengine_checkpoint_is_refused(trained):
    register_safe_loader()
    with pytest.raises(UnsafeCheckpointError) as info:
        CheckpointLoader.load_checkpoint(trained['vanilla'])
    message = str(info.value)
    assert trained['vanilla'] in message and 'builtins.getattr' in message
    assert 'mmengine' in message and '\n' not in message


@pytest.mark.parametrize('kind', ['truncated', 'empty', 'text'])
def test_truncated_checkpoint(trained, tmp_path, kind):
    data = open(osp.join(trained['work_dir'], 'iter_2.pth'), 'rb').read()
    content = dict(
        truncated=data[:len(data) // 2], empty=b'',
        text=b'not a checkpoint')[kind]
    path = str(tmp_path / f'{kind}.pth')
    with open(path, 'wb') as f:
        f.write(content)
    with pytest.raises(CorruptCheckpointError) as info:
        safe_load(path)
    message = str(info.value)
    assert path in message and 'truncated' in message
    assert '\n' not in message


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError):
        safe_load(str(tmp_path / 'missing.pth'))


def test_register_safe_loader_is_idempotent():
    register_safe_loader()
    loader = CheckpointLoader._schemes['']
    register_safe_loader()
    assert CheckpointLoader._schemes[''] is loader
    assert CheckpointLoader._get_checkpoint_loader('/x/y.pth') is loader
    assert isinstance(SafeCheckpointHook(), Hook)


def test_no_blanket_unsafe_load():
    command = ['git', 'grep', '--untracked', '-n', '-E']
    command += ['weights_only *= *False', '--', '*.py']
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout
