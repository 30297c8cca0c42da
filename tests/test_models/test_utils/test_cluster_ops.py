# Copyright (c) samix_mm contributors. All rights reserved.
"""Clustering helpers of SAMix-C: k-means, PCA whitening, class weights."""
import pytest
import torch
import torch.nn.functional as F

import samix_mm.models.utils.cluster_ops as cluster_ops
from samix_mm.models.utils import (inverse_frequency_weights, kmeans,
                                   pca_whiten)


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
