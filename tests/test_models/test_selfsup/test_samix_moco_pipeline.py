# Copyright (c) samix_mm contributors. All rights reserved.
"""Pre-train with tools/train.py, export the backbone, evaluate linearly.

The configs are the built-in-data demo configs, shrunk by --cfg-options to
a ResNet-18 of width 16 and 64 (SAMix-I) or 32 (SAMix-C) images.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine import Config

from samix_mm.registry import DATASETS, MODELS
from samix_mm.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CFG_DIR = osp.join(ROOT, 'configs', 'samix_moco')
SAMIX_I = osp.join(CFG_DIR,
                   'samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py')
SAMIX_C = osp.join(
    CFG_DIR, 'samix-c-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py')
LINEAR = osp.join(
    CFG_DIR, 'benchmarks',
    'resnet18-w32_1xb64-linear-steplr-30e_synthetic-shapes.py')
NARROW = [
    'model.backbone.base_channels=16', 'model.neck.in_channels=128',
    'model.neck.hid_channels=128', 'model.mixer.in_channels=64',
    'model.mixer.value_neck_cfg.hidden_channels=32', 'model.queue_len=64',
    'train_dataloader.batch_size=16', 'train_dataloader.num_workers=0',
    'default_hooks.logger.interval=1'
]


def run(args):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def train_rows(work_dir):
    path, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [r for r in map(json.loads, f) if 'loss' in r]


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('samix_moco'))
    run(['tools/train.py', SAMIX_I, '--work-dir', work_dir, '--cfg-options',
         *NARROW, 'train_dataloader.dataset.num_samples=64',
         'train_cfg.max_epochs=2'])
    return work_dir


def test_pretraining_through_train_tool(pretrained):
    rows = train_rows(pretrained)
    assert len(rows) == 8  # 2 epochs x 4 iterations
    for row in rows:
        for key in ('loss_moco', 'loss_mix_bb', 'loss_mix_mb', 'loss_mask'):
            assert torch.isfinite(torch.tensor(row[key])), (key, row)
    state = torch.load(osp.join(pretrained, 'epoch_2.pth'),
                       weights_only=True, map_location='cpu')['state_dict']
    assert int(state['queue_ptr']) == (8 * 16) % 64
    # the EMA followed the online encoder, parameters only
    online, ema = (state[f'{p}.layer4.1.conv2.weight']
                   for p in ('backbone', 'backbone_k'))
    assert not torch.equal(online, ema)
    assert (online - ema).abs().max() < online.abs().max()


def test_samix_c_pseudo_labels_in_a_run(tmp_path):
    """The k-means hook labels the data before the first epoch."""
    run(['tools/train.py', SAMIX_C, '--work-dir', str(tmp_path),
         '--cfg-options', *NARROW, 'model.mixer_loss.num_clusters=4',
         'model.mixer_loss.in_channels=128',
         'train_dataloader.dataset.num_samples=32', 'train_cfg.max_epochs=1',
         'custom_hooks.1.dataloader.dataset.num_samples=32',
         'custom_hooks.1.dataloader.num_workers=0'])
    rows = train_rows(tmp_path)
    assert len(rows) == 2
    for row in rows:
        for key in ('loss_clst', 'loss_clst_mix', 'loss_mix_mb'):
            assert torch.isfinite(torch.tensor(row[key])), (key, row)
    log, = glob.glob(osp.join(tmp_path, '*', '*.log'))
    assert 'pseudo-labels:' in open(log).read()


def features(model, test_mode, num):
    """Frozen GAP features of SyntheticShapes images."""
    dataset = DATASETS.build(dict(
        type='SyntheticShapes', num_samples=num, num_classes=10,
        img_size=32, test_mode=test_mode,
        pipeline=[dict(type='PackInputs')]))
    items = [dataset[i] for i in range(num)]
    data = model.data_preprocessor(dict(
        inputs=torch.stack([it['inputs'] for it in items]),
        data_samples=[it['data_samples'] for it in items]), False)
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])[0]
    return feats, torch.cat([s.gt_label for s in data['data_samples']])


def test_linear_eval_of_extracted_backbone(pretrained, tmp_path):
    """Export the online encoder, load it into the linear-eval config and
    train the linear head on frozen features.

    No accuracy bar on the test split: SSL features of SyntheticShapes stay
    near chance (10 %) for every budget we could run. The classes differ
    by shape alone while the background, which both views of an image
    share, tells images apart, and instance discrimination learns that
    first. Measured (benchmarks/RESULTS.md, linear probe of 2500 / 1000
    images): five MoCo v2 / SAMix-I variants (SGD or AdamW, MoCo or
    SimCLR-strength colour jitter) for up to 2340 iterations on an H200
    give 10-16 % against 13 % for a random-init encoder; on CPU (780
    iterations) views with redrawn backgrounds did not help either. The
    same probe on CIFAR-10 JPGs separates MoCo v2 from random init after
    one epoch, so the pipeline itself learns from natural images. What the
    built-in data does test, instead of a class bar: that MoCo v2 and
    SAMix-I learn their pretext task (held-out view retrieval, falling
    InfoNCE, Mixer masks leaving the constant λ), in
    test_pretext_learning.py. Checked here: the exported weights are those
    of the checkpoint, they load into the linear-eval config, the backbone
    is frozen and the linear head trains.
    """
    out = osp.join(pretrained, 'backbone.pth')
    run(['tools/model_converters/extract_backbone.py',
         osp.join(pretrained, 'epoch_2.pth'), out, '--encoder', 'online'])
    # the linear-eval config through tools/train.py (1 epoch, 32 images)
    run(['tools/train.py', LINEAR, '--work-dir', str(tmp_path),
         '--cfg-options', 'model.backbone.base_channels=16',
         'model.head.in_channels=128',
         f'model.backbone.init_cfg.checkpoint={out}',
         'train_dataloader.dataset.num_samples=32',
         'val_dataloader.dataset.num_samples=32',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
         'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'])
    log, = glob.glob(osp.join(tmp_path, '*', '*.log'))
    text = open(log).read()
    assert f'load model from: {out}' in text
    assert 'do not match exactly' not in text  # no missing/unexpected key

    register_all_modules()
    cfg = Config.fromfile(LINEAR)
    cfg.model.backbone.base_channels = 16
    cfg.model.backbone.init_cfg.checkpoint = out
    cfg.model.head.in_channels = 128
    cfg.model.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()  # frozen_stages=4: BN stays in eval, no trainable weight
    assert not any(p.requires_grad for p in model.backbone.parameters())
    state = torch.load(osp.join(pretrained, 'epoch_2.pth'),
                       weights_only=True, map_location='cpu')['state_dict']
    for name, value in model.backbone.state_dict().items():
        torch.testing.assert_close(value, state[f'backbone.{name}'])
    # fit the linear head on frozen features (cheaper than the full run)
    x_train, y_train = features(model, False, 200)
    x_test, y_test = features(model, True, 200)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    torch.manual_seed(0)
    linear = torch.nn.Linear(x_train.size(1), 10)
    optim = torch.optim.Adam(linear.parameters(), lr=0.01)
    for _ in range(300):
        optim.zero_grad()
        F.cross_entropy(linear(x_train), y_train).backward()
        optim.step()
    with torch.no_grad():
        train_acc = (linear(x_train).argmax(1) == y_train).float().mean()
        test_acc = (linear(x_test).argmax(1) == y_test).float().mean()
    print(f'linear probe: train {float(train_acc):.3f}, '
          f'test {float(test_acc):.3f}')
    assert train_acc > 0.5  # the frozen features separate the images
