# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix-C: k-means and the pseudo-label hook on a tiny SAMixMoCo."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmengine import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from samix_mm.engine.hooks import ClusterPseudoLabelHook, kmeans
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
register_all_modules()
BASE = Config.fromfile(
    'configs/_base_/models/samix-mocov2_resnet18_cifar.py').model
CLUSTER = dict(type='ClusterMixLoss', in_channels=16, num_clusters=3)


def model_cfg(**overrides):
    """A narrow ResNet-18 with 16-d keys (as in test_samix_moco.py)."""
    cfg = copy.deepcopy(BASE.to_dict())
    cfg['backbone'].update(base_channels=16)
    cfg['neck'].update(in_channels=128, hid_channels=64, out_channels=16)
    cfg['mixer'].update(in_channels=64, value_neck_cfg=dict(
        hidden_channels=16, dropout=0.))
    cfg.update(feat_dim=16, queue_len=16, **overrides)
    return cfg


def test_kmeans_recovers_separated_blobs():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0., 0.], [10., 0.], [0., 10.]])
    truth = torch.arange(90) % 3
    feats = centres[truth] + torch.randn(90, 2, generator=g)
    labels = kmeans(feats, 3, num_iters=10, seed=0, chunk=7)
    for c in range(3):  # every blob is one cluster, all clusters differ
        assert labels[truth == c].unique().numel() == 1
    assert labels.unique().numel() == 3
    torch.testing.assert_close(labels, kmeans(feats, 3, 10, seed=0))


def test_kmeans_restarts_empty_clusters_and_checks_size():
    feats = torch.cat([torch.zeros(6, 2), torch.ones(2, 2)])
    labels = kmeans(feats, 3, num_iters=5)
    assert labels.min() >= 0 and labels.max() < 3
    with pytest.raises(ValueError, match='at least num_clusters=3'):
        kmeans(torch.zeros(2, 2), 3)


def fake_runner(model, num_samples, epoch=0):
    """What the hook uses of a Runner."""
    return SimpleNamespace(
        model=model, epoch=epoch,
        train_dataloader=SimpleNamespace(dataset=range(num_samples)),
        build_dataloader=Runner.build_dataloader,
        logger=MMLogger.get_current_instance())


def loader_cfg(num_samples):
    return dict(
        batch_size=8, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'),
        dataset=dict(type='SyntheticShapes', num_samples=num_samples,
                     num_classes=4, img_size=32,
                     pipeline=[dict(type='PackInputs')]))


def test_hook_assigns_labels_every_interval():
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(
        mixer_loss=CLUSTER,
        data_preprocessor=dict(mean=[127.5] * 3, std=[60.] * 3,
                               to_rgb=True)))
    model.train()
    hook = ClusterPseudoLabelHook(loader_cfg(20), interval=2, num_iters=5)
    runner = fake_runner(model, 20)
    hook.before_train_epoch(runner)
    labels = model.mixer_loss.pseudo_labels
    assert labels.shape == (20, ) and 0 <= labels.min() and labels.max() < 3
    assert model.training  # extraction ran in eval mode, then restored
    # the labels are the k-means of the momentum keys, in sample order
    model.eval()
    with torch.no_grad():
        feats = torch.cat([
            model.momentum_feat(model.data_preprocessor(d, False)['inputs'])
            for d in hook._loader
        ])
    model.train()
    assert feats.shape == (20, 16)
    torch.testing.assert_close(labels, kmeans(feats, 3, 5, seed=0))
    runner.epoch = 1  # not a multiple of the interval: keep the labels
    hook.before_train_epoch(runner)
    assert model.mixer_loss.pseudo_labels is labels
    runner.epoch = 2
    hook.before_train_epoch(runner)
    assert model.mixer_loss.pseudo_labels is not labels


def test_hook_errors():
    model = MODELS.build(model_cfg())  # SAMix-I: nothing to label
    hook = ClusterPseudoLabelHook(loader_cfg(20))
    with pytest.raises(TypeError, match='ClusterMixLoss'):
        hook.before_train_epoch(fake_runner(model, 20))
    model = MODELS.build(model_cfg(mixer_loss=CLUSTER))
    with pytest.raises(ValueError, match='training set 30'):
        hook.before_train_epoch(fake_runner(model, 30))
    with pytest.raises(ValueError, match='interval'):
        ClusterPseudoLabelHook(loader_cfg(20), interval=0)
