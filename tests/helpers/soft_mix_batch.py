# Copyright (c) samix_mm contributors. All rights reserved.
"""A labelled batch and fixed random draws for the tests of the classifiers
that mix inside their own step (Manifold Mixup, PuzzleMix)."""
import numpy as np
import torch
from mmpretrain.structures import DataSample

# no involution: a mix-up of perm and its inverse is caught
PERM = torch.tensor([2, 0, 1, 5, 3, 4])


def batch(n=6, size=32, seed=0):
    """``n`` random images, their DataSamples and labels (5 classes)."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, size, size, generator=g)
    labels = torch.tensor([0, 1, 2, 3, 4, 1])[:n]
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return inputs, samples, labels


def fix_draws(monkeypatch, module, lam):
    """λ = ``lam`` and the partners ``PERM`` in ``module``'s steps."""
    monkeypatch.setattr(np.random, 'beta', lambda a, b: lam)
    monkeypatch.setattr(module, 'random_pairing',
                        lambda n, device=None: PERM.to(device))
