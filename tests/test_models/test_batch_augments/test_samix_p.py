# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix^P: export a trained SAMix Mixer, reuse it frozen as a batch augment.

A tiny SAMix model is trained for 2 iterations with tools/train.py and
exported with tools/model_converters/export_mixer.py (both as a user runs
them); the tests then train plain ImageClassifiers with the export.
"""
import copy
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.models import RandomBatchAugment
from mmpretrain.structures import DataSample

from samix_mm.converters import export_mixer
from samix_mm.models.batch_augments import SAMixP
from samix_mm.models.utils import mix_images
from samix_mm.models.utils.frozen_mixer_loader import EXPORT_KEYS
from samix_mm.registry import BATCH_AUGMENTS, MODELS
from samix_mm.utils import register_all_modules, safe_load

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TINY = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')
SAMIXP = osp.join(ROOT, 'configs', 'samixp',
                  'resnet18-w32_1xb64-samixp-15e_synthetic-shapes.py')
# normalisation of the synthetic configs, and ImageNet's (CUB's)
SYN = dict(mean=[126.4, 126.7, 127.7], std=[60.4, 60.7, 61.1])
IMNET = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
# the SAMix config each SAMix^P config takes its Mixer from
SOURCES = {
    'resnet18-w32_1xb64-samixp-15e_synthetic-shapes.py':
    'samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py',
    'resnet18-w32_1xb64-samixp-cutmix-15e_synthetic-shapes.py':
    'samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py',
    'resnet50_1xb16-samixp-cifar100-r18-200e_cub200.py':
    'samix/samix_resnet18_1xb100-400e_cifar100.py',
}

register_all_modules()


def run(args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.setdefault('OMP_NUM_THREADS', '1')
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    """A SAMix checkpoint of tools/train.py: 2 iterations, 32 images."""
    work_dir = tmp_path_factory.mktemp('samix')
    run([
        'tools/train.py', TINY, '--work-dir',
        str(work_dir), '--cfg-options',
        'train_dataloader.dataset.num_samples=32', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=2'
    ])
    return osp.join(work_dir, 'epoch_1.pth')


@pytest.fixture(scope='module')
def mixer_file(ckpt, tmp_path_factory):
    out = osp.join(tmp_path_factory.mktemp('export'), 'mixer.pth')
    proc = run(['tools/model_converters/export_mixer.py', ckpt, out])
    assert 'momentum encoder up to stage 2' in proc.stdout
    return out


@pytest.fixture(scope='module')
def busy_file(mixer_file, tmp_path_factory):
    """The export with large random Mixer weights: masks vary visibly."""
    export = safe_load(mixer_file)
    gen = torch.Generator().manual_seed(0)
    for key, value in export['mixer'].items():
        if value.is_floating_point() and 'running' not in key:
            value.copy_(torch.randn(value.shape, generator=gen) * 0.5)
    return save(export, tmp_path_factory.mktemp('busy') / 'busy.pth')


def save(obj, path):
    torch.save(obj, str(path))
    return str(path)


def augment(path, **kwargs):
    return BATCH_AUGMENTS.build(
        dict(type='SAMixP', mixer_file=path, **{
            **SYN,
            **kwargs
        }))


def onehot(n=6, classes=10):
    return F.one_hot(torch.arange(n) % classes, classes)


def spy_masks(aug):
    """Record the (index, lam, mask) of every make_mask call."""
    calls = []
    make_mask = aug.make_mask

    def spy(inputs, index, lam):
        mask = make_mask(inputs, index, lam)
        calls.append((index, lam, mask))
        return mask

    aug.make_mask = spy
    return calls


# --------------------------------------------------------------------- #
# export                                                                #
# --------------------------------------------------------------------- #
def test_export_is_small_safe_and_exact(ckpt, mixer_file):
    source = safe_load(ckpt)['state_dict']
    export = safe_load(mixer_file)  # plain data + tensors only
    assert set(export) == set(EXPORT_KEYS)
    assert export['encoder_from'] == 'momentum'
    assert export['mask_layer'] == 2
    assert export['mean'] == SYN['mean'] and export['std'] == SYN['std']
    assert export['encoder_cfg']['num_stages'] == 3
    assert export['mixer_cfg']['frozen'] is True
    # the momentum encoder up to layer3, bit for bit; layer4 is dropped
    assert not any(k.startswith('layer4.') for k in export['encoder'])
    full = {
        k[len('backbone_k.'):]: v
        for k, v in source.items() if k.startswith('backbone_k.')
    }
    assert set(
        export['encoder']) == {k
                               for k in full if not k.startswith('layer4.')}
    for key, value in export['encoder'].items():
        assert torch.equal(value, full[key])
    for key, value in export['mixer'].items():
        assert torch.equal(value, source[f'mixer.{key}'])
    numel = sum(v.numel() for v in export['encoder'].values())
    assert numel < 0.3 * sum(v.numel() for v in full.values())
    # --encoder online takes the online backbone instead
    online = export_mixer(safe_load(ckpt), 'online')
    assert online['encoder_from'] == 'online'
    for key, value in online['encoder'].items():
        assert torch.equal(value, source[f'backbone.{key}'])


def test_export_refuses_other_checkpoints(ckpt):
    good = safe_load(ckpt)
    with pytest.raises(ValueError, match=r"meta\['cfg'\]"):
        export_mixer(dict(state_dict=good['state_dict']))
    plain = Config.fromfile(SAMIXP)
    with pytest.raises(ValueError, match='no mixer and backbone'):
        export_mixer(dict(state_dict={}, meta=dict(cfg=plain.pretty_text)))
    no_mixer = {
        k: v
        for k, v in good['state_dict'].items() if not k.startswith('mixer.')
    }
    with pytest.raises(ValueError, match=r'no mixer\.\* weights'):
        export_mixer(dict(good, state_dict=no_mixer))
    with pytest.raises(ValueError, match='encoder must be one of'):
        export_mixer(good, 'ema')


# --------------------------------------------------------------------- #
# the batch augment                                                     #
# --------------------------------------------------------------------- #
def test_shapes_and_targets_follow_mask_area(busy_file):
    np.random.seed(1)
    aug = augment(busy_file)
    calls = spy_masks(aug)
    inputs = torch.randn(6, 3, 32, 32)
    mixed, score = aug(inputs, onehot())
    (index, lam, mask), = calls
    assert mixed.shape == inputs.shape and score.shape == (6, 10)
    assert mask.shape == (6, 2, 32, 32) and mask.std() > 0.05
    torch.testing.assert_close(mixed, mix_images(inputs, index, mask))
    torch.testing.assert_close(score.sum(1), torch.ones(6))
    area = mask[:, 0].mean(dim=(1, 2))
    rows = torch.arange(6)
    own, partner = rows % 10, index % 10
    expected = torch.zeros(6, 10)
    expected[rows, own] += area
    expected[rows, partner] += 1 - area
    torch.testing.assert_close(score, expected)
    # the area, not λ: the Mixer's areas differ from λ and between samples
    assert (area - lam).abs().max() > 0.02 and area.std() > 1e-3
    # soft (e.g. label-smoothed) scores stay distributions
    _, soft = aug(inputs, onehot().float() * 0.9 + 0.01)
    torch.testing.assert_close(soft.sum(1), torch.ones(6))


def test_lam_margin_gives_plain_mixup(busy_file, monkeypatch):
    aug = augment(busy_file, alpha=1.0)
    calls = spy_masks(aug)
    monkeypatch.setattr(np.random, 'beta', lambda a, b: 0.05)
    inputs = torch.randn(4, 3, 32, 32)
    mixed, score = aug(inputs, onehot(4))
    (index, _, mask), = calls
    assert torch.all(mask[:, 0] == 0.05) and torch.all(mask[:, 1] == 0.95)
    torch.testing.assert_close(mixed, 0.05 * inputs + 0.95 * inputs[index])
    expected = 0.05 * onehot(4) + 0.95 * onehot(4)[index]
    torch.testing.assert_close(score, expected.float())


def test_encoder_sees_the_source_normalisation(busy_file):
    """Inputs normalised another way are mapped back before the encoder."""
    same, other = augment(busy_file), augment(busy_file, **IMNET)
    raw = torch.rand(4, 3, 32, 32) * 255
    norm = {
        name: (raw - torch.tensor(n['mean']).view(3, 1, 1)) /
        torch.tensor(n['std']).view(3, 1, 1)
        for name, n in (('syn', SYN), ('imnet', IMNET))
    }
    index = torch.tensor([1, 2, 3, 0])
    mask = same.make_mask(norm['syn'], index, 0.4)
    torch.testing.assert_close(other.make_mask(norm['imnet'], index, 0.4),
                               mask,
                               rtol=1e-4,
                               atol=1e-4)
    # without the mapping the encoder would see other values
    assert not torch.allclose(
        same.make_mask(norm['imnet'], index, 0.4), mask, atol=1e-4)


def test_in_random_batch_augment_with_cutmix(mixer_file):
    np.random.seed(0)
    batch_aug = RandomBatchAugment(augments=[
        dict(type='SAMixP', mixer_file=mixer_file, **SYN),
        dict(type='CutMix', alpha=1.0)
    ],
                                   probs=[0.5, 0.5])
    assert isinstance(batch_aug.augments[0], SAMixP)
    calls = spy_masks(batch_aug.augments[0])
    inputs = torch.randn(4, 3, 32, 32)
    for _ in range(8):
        mixed, score = batch_aug(inputs, onehot(4))
        assert mixed.shape == inputs.shape
        torch.testing.assert_close(score.sum(1), torch.ones(4))
    assert 0 < len(calls) < 8  # both augments were drawn


def classifier(mixer_file, path=SAMIXP, base_channels=16):
    """A plain ImageClassifier of a SAMix^P config, with ``mixer_file``."""
    cfg = Config.fromfile(path)
    model = cfg.model.to_dict()
    augments = model['train_cfg']['augments']
    for aug in augments if isinstance(augments, list) else [augments]:
        if aug['type'] == 'SAMixP':
            aug['mixer_file'] = mixer_file
    model.setdefault('data_preprocessor', cfg.data_preprocessor.to_dict())
    if base_channels:
        model['backbone']['base_channels'] = base_channels
        model['head']['in_channels'] = base_channels * 8
    return cfg, MODELS.build(model)


def batch(n, size, classes):
    inputs = list(torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8))
    return dict(inputs=inputs,
                data_samples=[
                    DataSample().set_gt_label(i % classes) for i in range(n)
                ])


def test_frozen_while_the_classifier_trains(busy_file):
    torch.manual_seed(0)
    np.random.seed(0)
    cfg, model = classifier(busy_file)
    aug = model.data_preprocessor.batch_augments.augments[0]
    assert isinstance(aug, SAMixP)
    optim = build_optim_wrapper(model, cfg.optim_wrapper.to_dict())
    frozen = [aug.encoder, aug.mixer]
    before = [copy.deepcopy(m.state_dict()) for m in frozen]
    head_before = model.head.fc.weight.clone()
    calls = spy_masks(aug)
    model.train()
    for _ in range(3):
        model.train_step(batch(6, 32, 10), optim)
    assert len(calls) == 3
    assert not torch.equal(model.head.fc.weight, head_before)  # it trained
    for module, state in zip(frozen, before):
        assert not module.training
        assert not any(p.requires_grad for p in module.parameters())
        for key, value in module.state_dict().items():  # BN stats included
            assert torch.equal(value, state[key]), key
    # nothing of the augment in the classifier's optimizer or state dict
    ids = {id(p) for m in frozen for p in m.parameters()}
    assert not ids & {
        id(p)
        for g in optim.optimizer.param_groups
        for p in g['params']
    }
    assert not ids & {id(p) for p in model.parameters()}
    assert all(
        k.startswith(('backbone.', 'head.')) for k in model.state_dict())


def scalars(work_dir):
    rows = []
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            rows += [json.loads(line) for line in f]
    return rows


def test_train_tool_with_a_plain_classifier(mixer_file, tmp_path):
    run([
        'tools/train.py', SAMIXP, '--work-dir',
        str(tmp_path), '--cfg-options',
        f'model.train_cfg.augments.mixer_file={mixer_file}',
        'model.backbone.base_channels=16', 'model.head.in_channels=128',
        'train_dataloader.dataset.num_samples=32',
        'train_dataloader.batch_size=16', 'train_dataloader.num_workers=0',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1'
    ])
    losses = [r['loss'] for r in scalars(tmp_path) if 'loss' in r]
    assert len(losses) == 2 and all(np.isfinite(losses))
    state = safe_load(osp.join(tmp_path, 'epoch_1.pth'))['state_dict']
    assert all(k.startswith(('backbone.', 'head.')) for k in state)


@pytest.fixture(scope='module')
def source_exports(tmp_path_factory):
    """Exports of the (untrained) source SAMix model of each config."""
    folder, paths = tmp_path_factory.mktemp('sources'), {}
    for source in sorted(set(SOURCES.values())):
        cfg = Config.fromfile(osp.join(ROOT, 'configs', source))
        samix = MODELS.build(cfg.model.to_dict())
        export = export_mixer(
            dict(state_dict=samix.state_dict(),
                 meta=dict(cfg=cfg.pretty_text)))
        paths[source] = save(export, folder / osp.basename(source))
    return paths


@pytest.mark.parametrize('name', sorted(SOURCES))
def test_samixp_configs_train_one_step(name, source_exports):
    found = {
        osp.basename(p)
        for p in glob.glob(osp.join(ROOT, 'configs', 'samixp', '*.py'))
    }
    assert found == set(SOURCES), 'add new configs to SOURCES'
    cfg, model = classifier(source_exports[SOURCES[name]],
                            osp.join(ROOT, 'configs', 'samixp', name),
                            base_channels=None)
    optim = build_optim_wrapper(model, cfg.optim_wrapper.to_dict())
    size = 32 if 'CIFAR' in cfg.model.backbone.type else 64
    model.train()
    log_vars = model.train_step(batch(4, size, cfg.model.head.num_classes),
                                optim)
    assert torch.isfinite(log_vars['loss'])


# --------------------------------------------------------------------- #
# clear errors                                                          #
# --------------------------------------------------------------------- #
def one_line_error(exc_type, match, fn):
    with pytest.raises(exc_type, match=match) as info:
        fn()
    assert '\n' not in str(info.value)


def test_unusable_files_fail_clearly(ckpt, mixer_file, tmp_path):
    one_line_error(FileNotFoundError, 'export_mixer.py',
                   lambda: augment(str(tmp_path / 'none.pth')))
    one_line_error(ValueError, 'is a training checkpoint',
                   lambda: augment(ckpt))
    other = save(dict(weights=torch.zeros(2)), tmp_path / 'other.pth')
    one_line_error(ValueError, 'is not a SAMix\\^P Mixer export',
                   lambda: augment(other))
    export = safe_load(mixer_file)

    def broken(name, change):
        bad = copy.deepcopy(export)
        change(bad)
        return save(bad, tmp_path / name)

    path = broken('nokey.pth', lambda e: e.pop('mixer'))
    one_line_error(ValueError, r"missing keys \['mixer'\]",
                   lambda: augment(path))
    path = broken(
        'renamed.pth',
        lambda e: e['encoder'].update(junk=e['encoder'].pop('conv1.weight')))
    one_line_error(ValueError, 'encoder weights do not fit',
                   lambda: augment(path))
    path = broken('channels.pth',
                  lambda e: e['mixer_cfg'].update(in_channels=32))
    one_line_error(ValueError, 'Mixer weights do not fit.*size mismatch',
                   lambda: augment(path))


def test_mismatched_mixer_and_encoder_fail_clearly(mixer_file, tmp_path):
    export = safe_load(mixer_file)
    # a Mixer (config and weights) of another run, for 128 channels
    wide = dict(export['mixer_cfg'], in_channels=128)
    wide_mixer = MODELS.build(wide)
    path = save(dict(export, mixer_cfg=wide, mixer=wide_mixer.state_dict()),
                tmp_path / 'wide.pth')
    one_line_error(ValueError, 'gives 64 channels but the Mixer has '
                   'in_channels=128', lambda: augment(path))
    path = save(dict(export, mask_layer=1), tmp_path / 'stage.pth')
    one_line_error(ValueError, 'stage mismatch', lambda: augment(path))


@pytest.mark.parametrize('kwargs, match', [
    (dict(alpha=0.), 'alpha must be > 0'),
    (dict(lam_margin=0.5), 'lam_margin'),
    (dict(mean=[0., 0.]), 'mean and std need 3 values'),
    (dict(std=[1., 0., 1.]), 'std > 0'),
])
def test_bad_arguments_fail_clearly(mixer_file, kwargs, match):
    one_line_error(ValueError, match, lambda: augment(mixer_file, **kwargs))


def test_bad_batches_fail_clearly(mixer_file):
    aug = augment(mixer_file)
    one_line_error(ValueError, 'batch_score must be',
                   lambda: aug(torch.randn(4, 3, 32, 32), torch.zeros(4)))
    one_line_error(ValueError, r'batch_inputs must be \(N, 3, H, W\)',
                   lambda: aug(torch.randn(4, 1, 32, 32), onehot(4)))
