# Copyright (c) samix_mm contributors. All rights reserved.
"""Clustering helpers of SAMix-C (pure torch, no faiss).

DeepCluster's recipe as the reference SAMix-C uses it: the features are
PCA-reduced, whitened and L2-normalised (:func:`pca_whiten`), clustered by
k-means (:func:`kmeans`), and the classification losses on the resulting
pseudo-labels are re-weighted by inverse cluster frequency
(:func:`inverse_frequency_weights`).
"""
import torch

#: Components whose variance is below this fraction of the largest one are
#: dropped by :func:`pca_whiten` (whitening them would only blow up noise).
PCA_RANK_TOL = 1e-10


def pca_whiten(feats: torch.Tensor, dim: int = 256) -> torch.Tensor:
    """PCA-reduce, whiten and L2-normalise features (DeepCluster).

    The rows are centred, projected on the ``dim`` leading principal axes
    and each axis is divided by the square root of its variance; every row
    is then scaled to unit length. ``dim = -1`` skips the PCA (L2
    normalisation only). ``dim`` is capped by the feature dimension and the
    rank of the centred data (axes with variance below
    ``PCA_RANK_TOL * max_variance`` are dropped).

    Args:
        feats (Tensor): ``(N, D)`` features.
        dim (int): Output dimension of the PCA, -1 for none.
            Defaults to 256.

    Returns:
        Tensor: ``(N, d)`` float32 features with unit rows, d <= ``dim``.
    """
    feats = feats.float()
    if dim == 0 or dim < -1:
        raise ValueError(f'dim must be > 0 or -1 (no PCA), got {dim}')
    if dim != -1:
        centred = (feats - feats.mean(0)).double()
        cov = centred.t() @ centred / feats.size(0)
        var, axes = torch.linalg.eigh(cov)  # ascending
        var, axes = var.flip(0), axes.flip(1)
        keep = max(min(dim, int((var > PCA_RANK_TOL * var[0]).sum())), 1)
        scale = var[:keep].clamp(min=1e-300).sqrt()  # all-equal rows: 0
        feats = (centred @ axes[:, :keep] / scale).float()
    return feats / (feats.norm(dim=1, keepdim=True) + 1e-10)


def inverse_frequency_weights(labels: torch.Tensor,
                              num_classes: int,
                              power: float = 0.5) -> torch.Tensor:
    """Class weights ``∝ count^-power``, normalised to sum to 1.

    DeepCluster's loss re-weighting: a cluster with n samples gets weight
    ``n^-power / Σ_c n_c^-power`` over the non-empty clusters c; empty
    clusters get 0 (no sample carries their label).

    Args:
        labels (Tensor): ``(N, )`` cluster ids in ``[0, num_classes)``.
        num_classes (int): Number of clusters k.
        power (float): The exponent. Defaults to 0.5.

    Returns:
        Tensor: ``(num_classes, )`` float32 weights.
    """
    counts = torch.bincount(labels.flatten().long(),
                            minlength=num_classes).float()
    weights = torch.where(counts > 0, counts.clamp(min=1).pow(-power),
                          torch.zeros_like(counts))
    return weights / weights.sum()


def _init_centres(feats: torch.Tensor, num_clusters: int,
                  gen: torch.Generator) -> torch.Tensor:
    """k-means++ seeding: each new centre drawn with probability ~ D²."""
    device = feats.device
    first = int(torch.randint(feats.size(0), (1, ), generator=gen,
                              device=device))
    centres = [feats[first]]
    dist = (feats - centres[0]).pow(2).sum(1)
    for _ in range(1, num_clusters):
        if float(dist.sum()) > 0:
            pick = int(torch.multinomial(dist, 1, generator=gen))
        else:  # fewer distinct points than clusters
            pick = int(torch.randint(feats.size(0), (1, ), generator=gen,
                                     device=device))
        centres.append(feats[pick])
        dist = torch.minimum(dist, (feats - feats[pick]).pow(2).sum(1))
    return torch.stack(centres)


def kmeans(feats: torch.Tensor,
           num_clusters: int,
           num_iters: int = 20,
           seed: int = 0,
           chunk: int = 65536) -> torch.Tensor:
    """Lloyd's k-means (squared Euclidean) with k-means++ seeding.

    A cluster that runs empty is restarted at the sample farthest from its
    centre.

    Args:
        feats (Tensor): ``(N, D)`` features, N >= ``num_clusters``.
        num_clusters (int): Number of clusters k.
        num_iters (int): Lloyd iterations. Defaults to 20.
        seed (int): Seed of the seeding. Defaults to 0.
        chunk (int): Rows per distance block (bounds memory).
            Defaults to 65536.

    Returns:
        Tensor: ``(N, )`` long cluster ids in ``[0, k)``.
    """
    feats = feats.float()
    num = feats.size(0)
    if num < num_clusters:
        raise ValueError(f'k-means needs at least num_clusters='
                         f'{num_clusters} samples, got {num}')
    gen = torch.Generator(device=feats.device).manual_seed(seed)
    centres = _init_centres(feats, num_clusters, gen)

    def assign(centres):
        labels, dists = [], []
        for block in feats.split(chunk):
            best = torch.cdist(block, centres).min(dim=1)
            labels.append(best.indices)
            dists.append(best.values)
        return torch.cat(labels), torch.cat(dists)

    for _ in range(num_iters):
        labels, dists = assign(centres)
        counts = torch.bincount(labels, minlength=num_clusters)
        sums = torch.zeros_like(centres).index_add_(0, labels, feats)
        centres = sums / counts.clamp(min=1)[:, None]
        for empty in torch.nonzero(counts == 0).flatten().tolist():
            far = int(dists.argmax())
            centres[empty] = feats[far]
            dists[far] = -1.
    return assign(centres)[0]
