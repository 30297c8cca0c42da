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
