# Copyright (c) samix_mm contributors. All rights reserved.
"""ClusterPseudoLabelHook: k-means pseudo-labels for SAMix-C.

On a stub runner (what the hook feeds k-means, its arguments, errors and
log), then in a run. The cluster loss in SAMixMoCo:
tests/test_models/test_selfsup/test_samix_c.py; the loss alone:
tests/test_models/test_losses/test_cluster_mix_loss.py; the clustering
helpers: tests/test_models/test_utils/test_cluster_ops.py.
"""
import inspect
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

import samix_mm.engine.hooks.cluster_pseudo_label_hook as hook_module
from samix_mm.engine.hooks import ClusterPseudoLabelHook
from samix_mm.models.losses import ClusterMixLoss
from samix_mm.models.utils import inverse_frequency_weights, kmeans, pca_whiten
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
from hook_runs import ROOT, Probe, build_runner, find_hook
from narrow_samix_moco import (LAST, gap, model_cfg, narrow_run_overrides,
                               perturb_)

register_all_modules()
#: The SAMix-C demo config (SyntheticShapes), shrunk by the run below.
SAMIX_C = osp.join(
    ROOT, 'configs', 'samix_moco',
    'samix-c-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py')
CLUSTER = dict(type='ClusterMixLoss', in_channels=LAST, num_clusters=3)


# --------------------------------------------------------- stub runner
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


def build_cluster_model():
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(
        mixer_loss=CLUSTER,
        data_preprocessor=dict(mean=[127.5] * 3, std=[60.] * 3,
                               to_rgb=True)))
    model.train()
    perturb_(model.backbone_k, seed=1)  # momentum != online
    return model


def test_hook_clusters_online_features(monkeypatch):
    model = build_cluster_model()
    seen = {}
    whiten, cluster = hook_module.pca_whiten, hook_module.kmeans

    def record_whiten(feats, dim):
        seen['raw'], seen['dim'] = feats.clone(), dim
        seen['white'] = whiten(feats, dim)
        return seen['white']

    def record_kmeans(feats, *args):
        seen['kmeans_in'] = feats.clone()
        return cluster(feats, *args)

    monkeypatch.setattr(hook_module, 'pca_whiten', record_whiten)
    monkeypatch.setattr(hook_module, 'kmeans', record_kmeans)
    hook = ClusterPseudoLabelHook(loader_cfg(20), interval=2, num_iters=5,
                                  pca_dim=8)
    runner = fake_runner(model, 20)
    hook.before_train_epoch(runner)
    assert model.training  # extraction ran in eval mode, then restored
    model.eval()
    with torch.no_grad():
        images = torch.cat([
            model.data_preprocessor(d, False)['inputs']
            for d in hook._loader
        ])
        online = gap(model.backbone(images)[-1])
        momentum = gap(model.backbone_k(images)[-1])
    model.train()
    # k-means input: PCA-whitened pooled features of the ONLINE encoder
    assert seen['dim'] == 8 and seen['raw'].shape == (20, LAST)
    torch.testing.assert_close(seen['raw'], online, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(seen['raw'], momentum, atol=1e-3)
    torch.testing.assert_close(seen['kmeans_in'], whiten(online, 8),
                               rtol=1e-3, atol=1e-4)
    labels = model.mixer_loss.pseudo_labels
    torch.testing.assert_close(labels, cluster(seen['white'], 3, 5, 0))
    torch.testing.assert_close(model.mixer_loss.class_weight,
                               inverse_frequency_weights(labels, 3, 0.5))
    runner.epoch = 1  # not a multiple of the interval: keep the labels
    hook.before_train_epoch(runner)
    assert model.mixer_loss.pseudo_labels is labels
    runner.epoch = 2
    hook.before_train_epoch(runner)
    assert model.mixer_loss.pseudo_labels is not labels


def test_hook_without_reweight():
    model = build_cluster_model()
    hook = ClusterPseudoLabelHook(loader_cfg(20), num_iters=2,
                                  reweight=False, pca_dim=-1)
    hook.before_train_epoch(fake_runner(model, 20))
    assert model.mixer_loss.pseudo_labels.shape == (20, )
    assert model.mixer_loss.class_weight is None


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
    with pytest.raises(ValueError, match='pca_dim'):
        ClusterPseudoLabelHook(loader_cfg(20), pca_dim=0)


def test_hook_arguments():
    hook = ClusterPseudoLabelHook(loader_cfg(20))
    assert (hook.interval, hook.num_iters, hook.seed, hook.pca_dim,
            hook.reweight, hook.reweight_pow) == (1, 20, 0, 256, True, 0.5)
    assert ClusterPseudoLabelHook(loader_cfg(20), num_iters=1,
                                  pca_dim=-1).num_iters == 1
    for kwargs, msg in (
            (dict(interval=0), 'interval and num_iters must be >= 1, got 0 '
             'and 20'),
            (dict(num_iters=0), 'interval and num_iters must be >= 1, got 1 '
             'and 0'),
            (dict(pca_dim=0), 'pca_dim must be > 0 or -1 (no PCA), got 0'),
            (dict(pca_dim=-2), 'pca_dim must be > 0 or -1 (no PCA), got -2')):
        with pytest.raises(ValueError) as err:
            ClusterPseudoLabelHook(loader_cfg(20), **kwargs)
        assert str(err.value) == msg


class FakeClusterModel(nn.Module):
    """What the hook needs of a SAMix-C model."""

    def __init__(self, num_clusters=4):
        super().__init__()
        self.mixer_loss = ClusterMixLoss(in_channels=4,
                                         num_clusters=num_clusters)

    def cluster_feat(self, x):
        return x


class RecordingLogger:

    def __init__(self):
        self.messages = []

    def info(self, msg):
        self.messages.append(msg)


def test_hook_model_checks():
    model = FakeClusterModel()
    hook = ClusterPseudoLabelHook(loader_cfg(8))
    runner = SimpleNamespace(model=nn.DataParallel(model))  # a wrapper
    assert hook._model(runner) is model
    with pytest.raises(TypeError) as err:
        hook._model(SimpleNamespace(model=nn.Linear(2, 2)))
    assert str(err.value) == (
        "ClusterPseudoLabelHook needs a SAMixMoCo with mixer_loss=dict("
        "type='ClusterMixLoss', ...); got Linear")
    hook._loader = SimpleNamespace(dataset=range(8))
    runner = SimpleNamespace(model=model, epoch=0, train_dataloader=(
        SimpleNamespace(dataset=range(9))))
    with pytest.raises(ValueError) as err:
        hook.before_train_epoch(runner)
    assert str(err.value) == (
        'ClusterPseudoLabelHook: its dataset has 8 samples, the training set '
        '9; use the training dataset with a test pipeline')


def test_hook_calls_and_log(monkeypatch):
    """Features moved to the model's device, whitened with pca_dim,
    clustered with (k, num_iters, seed + epoch), broadcast from rank 0,
    weighted with reweight_pow, logged."""
    model = FakeClusterModel(num_clusters=4)
    meta = torch.empty(1, device='meta')
    model.parameters = lambda: iter([meta])  # "the model's device"
    feats = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    fixed = torch.tensor([0, 0, 0, 0, 0, 1, 2, 2])  # sizes 5, 1, 2, 0
    seen = {}

    def record_whiten(x, dim):
        seen['whiten'] = (x.device, dim)
        return feats  # (a meta tensor has no values)

    def record_kmeans(x, *args, **kwargs):
        seen['kmeans'] = (x, args, kwargs)
        return fixed.clone()

    real_broadcast = hook_module.broadcast_object_list

    def record_broadcast(*args, **kwargs):
        bound = inspect.signature(real_broadcast).bind(*args, **kwargs)
        bound.apply_defaults()
        seen['src'] = bound.arguments['src']
        return real_broadcast(*args, **kwargs)

    monkeypatch.setattr(hook_module, 'pca_whiten', record_whiten)
    monkeypatch.setattr(hook_module, 'kmeans', record_kmeans)
    monkeypatch.setattr(hook_module, 'broadcast_object_list',
                        record_broadcast)
    hook = ClusterPseudoLabelHook(loader_cfg(8), interval=3, num_iters=7,
                                  seed=5, pca_dim=3, reweight_pow=1.)
    hook._loader = SimpleNamespace(dataset=range(8))
    hook._extract = lambda m, num: feats
    logger = RecordingLogger()
    runner = SimpleNamespace(model=model, epoch=3, logger=logger,
                             train_dataloader=SimpleNamespace(
                                 dataset=range(8)))
    hook.before_train_epoch(runner)
    assert seen['whiten'] == (torch.device('meta'), 3)
    x, args, kwargs = seen['kmeans']
    torch.testing.assert_close(x, feats)
    assert args + tuple(kwargs.values()) == (4, 7, 8)
    assert seen['src'] == 0
    torch.testing.assert_close(model.mixer_loss.pseudo_labels, fixed)
    raw = torch.tensor([1 / 5, 1., 1 / 2, 0.])
    torch.testing.assert_close(model.mixer_loss.class_weight,
                               raw / raw.sum())
    assert logger.messages == [
        'pseudo-labels: 3 non-empty clusters, largest 5 of 8 samples']


# ------------------------------------------------------------ real run
def current_labels(runner, hook):
    """What k-means makes of the online features of the model as it is
    now: the labels the hook must have set at this epoch."""
    model = runner.model
    model.eval()
    with torch.no_grad():
        feats = torch.cat([
            model.cluster_feat(model.data_preprocessor(d, False)['inputs'])
            for d in hook._loader
        ])
    model.train()
    return kmeans(pca_whiten(feats, hook.pca_dim), 4, hook.num_iters,
                  hook.seed + runner.epoch)


def test_hook_in_a_run(tmp_path):
    """3 epochs of one batch of the SAMix-C demo config (narrow, 16
    images), re-clustered every 2 epochs: labels of the current online
    features before epochs 0 and 2 (so before the first step), the same
    labels kept at epoch 1."""
    cfg = Config.fromfile(SAMIX_C)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'cluster_hook_{osp.basename(str(tmp_path))}'
    cfg.merge_from_dict(narrow_run_overrides(**{
        'model.mixer_loss.in_channels': LAST,
        'model.mixer_loss.num_clusters': 4,
        'train_dataloader.batch_size': 16,
        'train_dataloader.dataset.num_samples': 16,
        'train_cfg.max_epochs': 3,
    }))
    hook_cfg, = [h for h in cfg.custom_hooks
                 if h.type == 'ClusterPseudoLabelHook']
    assert hook_cfg.interval == 2  # the config's
    hook_cfg.update(pca_dim=8, num_iters=5)
    hook_cfg.dataloader.update(batch_size=16, num_workers=0)
    hook_cfg.dataloader.dataset.num_samples = 16
    # right after the hook's before_train_epoch (NORMAL)
    probe = Probe('before_train_epoch', lambda r: (
        r.epoch, r.model.mixer_loss.pseudo_labels,
        r.model.mixer_loss.class_weight,
        current_labels(r, find_hook(r, ClusterPseudoLabelHook))))
    runner = build_runner(cfg, [(probe, 'LOW')])
    assert runner.model.mixer_loss.pseudo_labels is None
    runner.train()

    assert [r[0] for r in probe.records] == [0, 1, 2]
    (_, first, weight, expected), (_, kept, _, _), (_, second, _, again) = \
        probe.records
    assert first.shape == (16, ) and 0 <= first.min() <= first.max() < 4
    torch.testing.assert_close(first, expected, rtol=0, atol=0)
    torch.testing.assert_close(weight,
                               inverse_frequency_weights(first, 4, 0.5))
    assert kept is first  # epoch 1: not an interval epoch
    assert second is not first  # epoch 2: clustered again, from the
    torch.testing.assert_close(second, again, rtol=0, atol=0)  # new model
    assert runner.model.mixer_loss.pseudo_labels is second
    log = open(runner.logger.log_file).read()
    assert log.count('pseudo-labels: ') == 2
