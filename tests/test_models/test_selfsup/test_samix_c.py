# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix-C: clustering helpers, the cluster loss and the pseudo-label hook.

What is checked against the reference SAMix-C (docs/algorithm.md,
"SAMix-C"): the cluster head reads the pooled last stage of the momentum
encoder; ``loss_clst`` trains the head only, ``loss_clst_mix`` the head and
the Mixer, ``loss_mix_mb`` the Mixer only; the weights are DeepCluster's
inverse frequency; k-means reads the online encoder.
"""
import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

import samix_mm.engine.hooks.cluster_pseudo_label_hook as hook_module
from samix_mm.engine.hooks import ClusterPseudoLabelHook, kmeans
from samix_mm.models.selfsup import (ClusterMixLoss, MixPair,
                                     inverse_frequency_weights, pca_whiten)
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

register_all_modules()
BASE = Config.fromfile(
    'configs/_base_/models/samix-mocov2_resnet18_cifar.py').model
LAST = 128  # channels of the narrow ResNet-18's last stage
CLUSTER = dict(type='ClusterMixLoss', in_channels=LAST, num_clusters=3)
NUM, SIZE = 4, 32


def model_cfg(**overrides):
    """A narrow ResNet-18 with 16-d keys (as in test_samix_moco.py)."""
    cfg = copy.deepcopy(BASE.to_dict())
    cfg['backbone'].update(base_channels=16)
    cfg['neck'].update(in_channels=LAST, hid_channels=64, out_channels=16)
    cfg['mixer'].update(in_channels=64, value_neck_cfg=dict(
        hidden_channels=16, dropout=0.))
    cfg.update(feat_dim=16, queue_len=16, **overrides)
    return cfg


@torch.no_grad()
def perturb_(module, seed, scale=0.05):
    g = torch.Generator().manual_seed(seed)
    for p in module.parameters():
        p.add_(scale * torch.randn(p.shape, generator=g))


def gap(x):
    return x.mean(dim=(2, 3))


# ----------------------------------------------------------------- helpers
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


def test_inverse_frequency_weights_by_value():
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 2, 0, 1])  # 5, 3, 1, 0 samples
    weights = inverse_frequency_weights(labels, 4, power=0.5)
    raw = torch.tensor([5**-0.5, 3**-0.5, 1., 0.])
    torch.testing.assert_close(weights, raw / raw.sum())
    assert float(weights.sum()) == pytest.approx(1.)
    flat = inverse_frequency_weights(labels, 4, power=0.)
    torch.testing.assert_close(flat, torch.tensor([1 / 3, 1 / 3, 1 / 3, 0.]))


def test_pca_whiten_matches_svd():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(50, 6, generator=g) @ torch.randn(6, 6, generator=g)
    out = pca_whiten(feats, 3)
    assert out.shape == (50, 3)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(50))
    # centre, project on the 3 leading axes, whiten, L2-normalise: equal to
    # the normalised left singular vectors (up to the sign of each axis,
    # which the Gram matrix does not see)
    u = torch.linalg.svd(feats - feats.mean(0), full_matrices=False)[0]
    ref = F.normalize(u[:, :3], dim=1)
    torch.testing.assert_close(out @ out.t(), ref @ ref.t(), rtol=1e-4,
                               atol=1e-5)
    # -1: no PCA, L2 normalisation only
    torch.testing.assert_close(pca_whiten(feats, -1),
                               F.normalize(feats, dim=1))
    # rank-deficient data (fewer samples than dimensions) stays finite
    assert torch.isfinite(pca_whiten(feats[:4], 6)).all()


# -------------------------------------------------------------- the loss
def loss_inputs(seed=0, num=6, channels=8):
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(num, channels, generator=g, requires_grad=True)
    clean = torch.randn(num, channels, generator=g)
    keys = F.normalize(torch.randn(num, 4, generator=g), dim=1)
    pair = MixPair(0.7, keys, keys, torch.zeros(4, 5), keys,
                   torch.arange(num), torch.arange(num).flip(0), clean)
    return mix, pair


def weighted_ce(logits, labels, weight):
    ce = F.cross_entropy(logits, labels, reduction='none')
    return (ce * weight[labels]).sum() / len(labels)


@pytest.mark.parametrize('weighted', [False, True])
def test_cluster_loss_values(weighted):
    torch.manual_seed(0)
    loss = ClusterMixLoss(in_channels=8, num_clusters=3, loss_weight=0.5)
    with torch.no_grad():  # a non-trivial head
        loss.fc.weight.normal_()
        loss.fc.bias.normal_()
    labels = torch.tensor([0, 0, 0, 1, 2, 2])
    weight = torch.tensor([0.2, 0.5, 0.3]) if weighted else torch.ones(3)
    loss.set_pseudo_labels(labels, weight if weighted else None)
    mix, pair = loss_inputs()
    out = loss(mix, pair)
    y_a, y_b = labels, labels.flip(0)
    with torch.no_grad():
        z_mix, z_clean = loss.fc(mix), loss.fc(pair.clean_pooled)
        mix_ce = 0.7 * weighted_ce(z_mix, y_a, weight) + \
            0.3 * weighted_ce(z_mix, y_b, weight)
        swapped = 0.3 * weighted_ce(z_mix, y_a, weight) + \
            0.7 * weighted_ce(z_mix, y_b, weight)
    torch.testing.assert_close(out['loss_clst'],
                               weighted_ce(z_clean, y_a, weight))
    torch.testing.assert_close(out['loss_clst_mix'].detach(), mix_ce)
    torch.testing.assert_close(out['loss_mix_mb'].detach(), 0.5 * mix_ce)
    assert abs(float(out['loss_clst_mix'].detach() - swapped)) > 1e-3


def test_cluster_loss_gradients():
    """The head learns from clean and mixed features; the frozen-head term
    moves only the features (the Mixer), by loss_weight x the same grad."""
    loss = ClusterMixLoss(in_channels=8, num_clusters=3, loss_weight=0.5)
    with torch.no_grad():
        loss.fc.weight.normal_()
    loss.set_pseudo_labels(torch.tensor([0, 0, 0, 1, 2, 2]),
                           torch.tensor([0.2, 0.5, 0.3]))
    mix, pair = loss_inputs()
    out = loss(mix, pair)
    grads = {}
    for name in out:
        params = [loss.fc.weight, loss.fc.bias, mix]
        grads[name] = torch.autograd.grad(out[name], params,
                                          retain_graph=True,
                                          allow_unused=True)
    w_clst, b_clst, mix_clst = grads['loss_clst']
    assert mix_clst is None and w_clst.abs().sum() > 0
    w_mix, _, mix_mix = grads['loss_clst_mix']
    assert w_mix.abs().sum() > 0 and mix_mix.abs().sum() > 0
    w_mb, b_mb, mix_mb = grads['loss_mix_mb']
    assert w_mb is None and b_mb is None
    torch.testing.assert_close(mix_mb, 0.5 * mix_mix)


def test_reset_on_relabel():
    keep = ClusterMixLoss(in_channels=8, num_clusters=3)
    reset = ClusterMixLoss(in_channels=8, num_clusters=3,
                           reset_on_relabel=True)
    for loss in (keep, reset):
        with torch.no_grad():
            loss.fc.weight.fill_(1.)
        loss.set_pseudo_labels(torch.tensor([0, 1, 2]))
    assert torch.all(keep.fc.weight == 1.)
    assert reset.fc.weight.abs().max() < 0.1


# ------------------------------------------------------- in SAMixMoCo
def test_samix_c_step_features_and_gradients(monkeypatch):
    """The head reads GAP of the momentum encoder's last stage: of the
    Mixer-branch mixtures (with grad to the Mixer) and of clean view 1."""
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(model_cfg(mixer_loss=CLUSTER))
    model.train()
    perturb_(model.backbone_k, seed=1)  # momentum != online
    model.mixer_loss.set_pseudo_labels(
        torch.arange(NUM) % 3, inverse_frequency_weights(
            torch.arange(NUM) % 3, 3))
    ref = copy.deepcopy(model)
    seen = dict(momentum=[])
    model.backbone_k.register_forward_pre_hook(
        lambda m, args: seen['momentum'].append(args[0].detach().clone()))
    model.mixer_loss.register_forward_hook(
        lambda m, args, out: seen.update(args=args))
    g = torch.Generator().manual_seed(2)
    views = [torch.randn(NUM, 3, SIZE, SIZE, generator=g) for _ in range(2)]
    samples = [DataSample(metainfo=dict(sample_idx=i)) for i in range(NUM)]
    losses = model.loss(views, samples)
    feat_mix, pair = seen['args']
    x_mb = seen['momentum'][1]  # after the momentum pass of both views
    with torch.no_grad():
        torch.testing.assert_close(
            feat_mix, gap(ref.backbone_k(x_mb)[-1]), rtol=1e-4, atol=1e-5)
        clean = gap(ref.backbone_k(torch.cat(views))[-1])[:NUM]
        torch.testing.assert_close(pair.clean_pooled, clean, rtol=1e-4,
                                   atol=1e-5)
        online = gap(ref.backbone(torch.cat(views))[-1])[:NUM]
    assert not torch.allclose(pair.clean_pooled, online, atol=1e-3)
    assert feat_mix.requires_grad and not pair.clean_pooled.requires_grad
    # gradient routing: Mixer grads of the frozen-head term are loss_weight
    # (1.0) times those of the trained-head term
    mixer_params = [p for p in model.mixer.parameters() if p.requires_grad]
    g_mix = torch.autograd.grad(losses['loss_clst_mix'], mixer_params,
                                retain_graph=True)
    g_mb = torch.autograd.grad(losses['loss_mix_mb'], mixer_params,
                               retain_graph=True)
    for a, b in zip(g_mix, g_mb):
        torch.testing.assert_close(a, b)
    assert any(a.abs().sum() > 0 for a in g_mix)


# ---------------------------------------------------------------- hook
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


# ------------------------------------------ exact checks (mutation tests)
import inspect  # noqa: E402

import torch.nn as nn  # noqa: E402

import samix_mm.models.selfsup.cluster_ops as cluster_ops  # noqa: E402


def test_kmeans_defaults_and_chunking(monkeypatch):
    """20 Lloyd iterations + the final assignment by default, blocks of
    65536 rows, seed 0, and N == k samples allowed."""
    calls = []
    cdist = torch.cdist

    def counting_cdist(a, b):
        calls.append(a.size(0))
        return cdist(a, b)

    monkeypatch.setattr(torch, 'cdist', counting_cdist)
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(40, 2, generator=g)
    kmeans(feats, 6)
    assert calls == [40] * 21
    calls.clear()
    kmeans(torch.rand(65537, 1, generator=g), 2, num_iters=1)
    assert calls == [65536, 1] * 2
    calls.clear()
    monkeypatch.setattr(torch, 'cdist', cdist)
    # default seed is 0 (and the seed matters on this data)
    torch.testing.assert_close(kmeans(feats, 6, 3), kmeans(feats, 6, 3, 0))
    assert not torch.equal(kmeans(feats, 6, 3, 0), kmeans(feats, 6, 3, 1))
    # N == k: every sample is its own (singleton) cluster
    points = torch.tensor([[10.], [20.], [30.], [40.]])
    labels = kmeans(points, 4, num_iters=5)
    assert sorted(labels.tolist()) == [0, 1, 2, 3]
    with pytest.raises(ValueError) as err:
        kmeans(points, 5)
    assert str(err.value) == \
        'k-means needs at least num_clusters=5 samples, got 4'


def test_kmeans_restarts_each_empty_cluster_at_a_new_far_sample(
        monkeypatch):
    """Two clusters empty after the first assignment: restarted at the
    farthest and the second-farthest sample (not twice the same)."""
    monkeypatch.setattr(
        cluster_ops, '_init_centres',
        lambda feats, k, gen: torch.tensor([[0.21875], [5.], [6.]]))
    feats = torch.tensor([[0.], [0.125], [0.25], [0.5]])
    # iteration 1: all in cluster 0 (mean 0.21875); cluster 1 -> 0.5
    # (distance 0.28125), cluster 2 -> 0. (distance 0.21875)
    labels = cluster_ops.kmeans(feats, 3, num_iters=1)
    assert labels.tolist() == [2, 0, 0, 1]


@pytest.mark.parametrize('scale', [1., 0.01])
def test_init_centres_kmeanspp_covers_separated_blobs(scale):
    """D² seeding puts one centre in each tight blob, at any scale (also
    when the D² total is below 1)."""
    g = torch.Generator().manual_seed(0)
    blobs = torch.tensor([[0., 0.], [10., 0.], [0., 10.]]) * scale
    truth = torch.arange(30) % 3
    feats = blobs[truth] + 0.01 * scale * torch.randn(30, 2, generator=g)
    for seed in range(10):
        centres = cluster_ops._init_centres(
            feats, 3, torch.Generator().manual_seed(seed))
        nearest = torch.cdist(centres, blobs).argmin(1)
        assert sorted(nearest.tolist()) == [0, 1, 2]
        for c in centres:  # every centre is a sample
            assert (feats == c).all(1).any()


def test_init_centres_fallback_is_seeded_and_uniform():
    """With fewer distinct points than clusters, the extra centres are
    drawn uniformly over the samples by the seeded generator."""
    feats = torch.tensor([[0., 0.]] * 3 + [[1., 1.]] * 3)
    seen = set()
    for seed in range(20):
        torch.manual_seed(100 + seed)  # the global RNG must not matter
        a = cluster_ops._init_centres(feats, 4,
                                      torch.Generator().manual_seed(seed))
        torch.manual_seed(200 + seed)
        b = cluster_ops._init_centres(feats, 4,
                                      torch.Generator().manual_seed(seed))
        torch.testing.assert_close(a, b)
        assert {tuple(c) for c in a[:2].tolist()} == {(0., 0.), (1., 1.)}
        seen.update(tuple(c) for c in a[2:].tolist())
    assert seen == {(0., 0.), (1., 1.)}


def test_inverse_frequency_weights_default_power():
    labels = torch.tensor([0, 0, 0, 0, 1])
    raw = torch.tensor([4**-0.5, 1.])
    torch.testing.assert_close(inverse_frequency_weights(labels, 2),
                               raw / raw.sum())


def test_pca_whiten_arguments():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(300, 260, generator=g, dtype=torch.float64)
    assert pca_whiten(feats).shape == (300, 256)  # default dim 256
    assert pca_whiten(feats[:, :3], 1).shape == (300, 1)
    for dim in (0, -2):
        with pytest.raises(ValueError) as err:
            pca_whiten(feats, dim)
        assert str(err.value) == f'dim must be > 0 or -1 (no PCA), got {dim}'


def test_pca_whiten_rank_and_whitening():
    g = torch.Generator().manual_seed(0)
    # variances ~100, ~1e-2, ~1e-10: the last (1e-12 of the largest) is
    # below PCA_RANK_TOL and dropped
    feats = torch.randn(200, 3, generator=g) * torch.tensor([10., .1, 1e-5])
    out = pca_whiten(feats, 3)
    assert out.shape == (200, 2)
    u = torch.linalg.svd((feats - feats.mean(0)).double(),
                         full_matrices=False)[0][:, :2]
    ref = F.normalize(u, dim=1).float()  # whitened: both axes equal weight
    torch.testing.assert_close(out @ out.t(), ref @ ref.t(), rtol=1e-4,
                               atol=1e-4)
    # all-equal rows: one (zero) axis
    flat = pca_whiten(torch.ones(5, 4), 3)
    assert flat.shape == (5, 1) and torch.all(flat == 0)


def test_pca_whiten_exact_for_rows_near_the_mean():
    """Whitened row w (centred, on the principal axes, / sqrt(variance),
    the variance being the mean square) is returned as w / (|w| + 1e-10);
    rows within ~1e-10 of the mean show the exact scale."""
    t = 1e-10
    feats = torch.tensor([[t, 0.], [-t, 0.], [2., 0.], [-2., 0.], [0., 1.],
                          [0., -1.]])
    centred = (feats - feats.mean(0)).double()
    cov = centred.t() @ centred / 6
    var, axes = torch.linalg.eigh(cov)
    w = centred @ axes / var.sqrt()
    expected = w.norm(dim=1) / (w.norm(dim=1) + 1e-10)
    assert expected[0] < 0.9  # the epsilon is visible on the near rows
    out = pca_whiten(feats, 2)
    torch.testing.assert_close(out.norm(dim=1).double(), expected,
                               rtol=1e-4, atol=1e-6)


def test_cluster_loss_argument_checks():
    loss = ClusterMixLoss(in_channels=1, num_clusters=2)
    assert loss.pseudo_labels is None and loss.class_weight is None
    for channels, clusters in ((0, 3), (-1, 2), (8, 1)):
        with pytest.raises(ValueError) as err:
            ClusterMixLoss(in_channels=channels, num_clusters=clusters)
        assert str(err.value) == (
            'in_channels must be > 0 and num_clusters >= 2, got '
            f'{channels} and {clusters}')


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
