# Copyright (c) samix_mm contributors. All rights reserved.
"""ClusterMixLoss (SAMix-C): values, gradients, messages and arguments.

In SAMixMoCo: tests/test_models/test_selfsup/test_samix_c.py; the
pseudo-label hook: tests/test_engine/test_hooks/
test_cluster_pseudo_label_hook.py.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from samix_mm.models.losses import ClusterMixLoss
from samix_mm.models.utils import MixPair

FEAT = 16


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


def test_cluster_loss_argument_checks():
    loss = ClusterMixLoss(in_channels=1, num_clusters=2)
    assert loss.pseudo_labels is None and loss.class_weight is None
    for channels, clusters in ((0, 3), (-1, 2), (8, 1)):
        with pytest.raises(ValueError) as err:
            ClusterMixLoss(in_channels=channels, num_clusters=clusters)
        assert str(err.value) == (
            'in_channels must be > 0 and num_clusters >= 2, got '
            f'{channels} and {clusters}')


def test_cluster_mix_loss_messages_bounds_and_dtypes():
    """Each missing input is named exactly; an index equal to the number
    of pseudo-labels is out of range; labels and weights are stored as
    long / float32 whatever they come as."""
    loss = ClusterMixLoss(in_channels=FEAT, num_clusters=3)
    keys = F.normalize(torch.randn(2, FEAT), dim=1)
    feats = torch.randn(2, FEAT)
    pair = MixPair(0.5, keys, keys, torch.zeros(FEAT, 4), keys,
                   torch.tensor([0, 1]), torch.tensor([1, 0]), feats)
    with pytest.raises(RuntimeError) as info:
        loss(feats, pair)
    assert str(info.value) == (
        'ClusterMixLoss has no pseudo-labels yet; add '
        "dict(type='ClusterPseudoLabelHook', ...) to custom_hooks")
    loss.set_pseudo_labels(np.array([0, 2], dtype=np.int32),
                           np.array([1., 2., 3.], dtype=np.float64))
    assert loss.pseudo_labels.dtype == torch.long
    assert loss.class_weight.dtype == torch.float32
    with pytest.raises(RuntimeError) as info:
        loss(feats, pair._replace(idx_a=None))
    assert str(info.value) == (
        "ClusterMixLoss needs sample_idx in the data samples; keep "
        "PackInputs' default meta_keys")
    with pytest.raises(RuntimeError) as info:
        loss(feats, pair._replace(idx_b=torch.tensor([2, 0])))
    assert str(info.value) == (
        'sample_idx 2 has no pseudo-label (only 2); the hook must cluster '
        'the training dataset itself')
    with pytest.raises(RuntimeError) as info:
        loss(feats, pair._replace(clean_pooled=None))
    assert str(info.value) == (
        'ClusterMixLoss needs pair.clean_pooled (the pooled momentum '
        'features of view 1)')


def test_cluster_mix_loss_needs_labels():
    loss = ClusterMixLoss(in_channels=FEAT, num_clusters=3)
    keys = F.normalize(torch.randn(2, FEAT), dim=1)
    feats = torch.randn(2, FEAT)
    pair = MixPair(0.5, keys, keys, torch.zeros(FEAT, 4), keys,
                   torch.tensor([0, 1]), torch.tensor([1, 0]), feats)
    with pytest.raises(RuntimeError, match='ClusterPseudoLabelHook'):
        loss(feats, pair)
    with pytest.raises(ValueError, match='pseudo-labels must be in'):
        loss.set_pseudo_labels(torch.tensor([0, 3]))
    with pytest.raises(ValueError, match='class_weight must have 3'):
        loss.set_pseudo_labels(torch.tensor([0, 2]), torch.ones(2))
    loss.set_pseudo_labels(torch.tensor([0, 2]))
    out = loss(feats, pair)
    assert set(out) == {'loss_mix_mb', 'loss_clst', 'loss_clst_mix'}
    with pytest.raises(RuntimeError, match='no pseudo-label'):
        loss(feats, pair._replace(idx_b=torch.tensor([5, 0])))
    with pytest.raises(RuntimeError, match='clean_pooled'):
        loss(feats, pair._replace(clean_pooled=None))
