# Copyright (c) samix_mm contributors. All rights reserved.
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from samix_mm.models.utils import (apply_transport, block_saliency,
                                   graphcut_masks, input_saliency,
                                   local_discontinuity, transport_plan)

GRID = 4


def saliencies(n=4, grid=GRID, seed=0, peaked_partner=False):
    """Random block saliencies (own, partner), each summing to 1; a peaked
    partner has its saliency on a few blocks."""
    g = torch.Generator().manual_seed(seed)
    own = torch.rand(n, grid, grid, generator=g)
    partner = torch.rand(n, grid, grid, generator=g)
    if peaked_partner:
        own, partner = own + 1., partner**8
    return (own / own.sum((1, 2), keepdim=True),
            partner / partner.sum((1, 2), keepdim=True))


def binomial_nll(lam, n_labels):
    """-log P(level k) of the prior, written out here."""
    parts = n_labels - 1
    return torch.tensor([
        -math.log(math.comb(parts, k) * lam**k * (1 - lam)**(parts - k) +
                  1e-8) for k in range(n_labels)
    ])


def unary_argmin(own, partner, lam, eta, n_labels):
    """Per-block optimum without any pairwise term: level m costs the
    saliency it hides, m * s_partner + (1 - m) * s_own, plus the prior."""
    grid = own.size(-1)
    levels = torch.linspace(0, 1, n_labels, dtype=torch.float64)
    cost = (levels * partner[..., None].double() +
            (1 - levels) * own[..., None].double() +
            eta * binomial_nll(lam, n_labels).double() / grid**2)
    return levels[cost.argmin(-1)].float()


@pytest.mark.parametrize('n_labels', [2, 3, 5])
def test_without_pairwise_and_prior_each_block_takes_its_unary_argmin(
        n_labels):
    own, partner = saliencies()
    masks = graphcut_masks(own, partner, lam=0.3, beta=0., gamma=0.5,
                           eta=0., n_labels=n_labels)
    expected = unary_argmin(own, partner, 0.3, 0., n_labels)
    torch.testing.assert_close(masks, expected)
    # the more salient image is shown: not a constant mask
    assert 0 < masks.mean() < 1
    torch.testing.assert_close(masks, (own > partner).float())


@pytest.mark.parametrize('lam, eta', [(0.3, 0.5), (0.7, 2.0), (0.5, 1.0)])
def test_without_pairwise_each_block_takes_unary_plus_prior_argmin(lam, eta):
    own, partner = saliencies(n=6, seed=1)
    masks = graphcut_masks(own, partner, lam=lam, beta=0., gamma=0., eta=eta,
                           n_labels=3)
    torch.testing.assert_close(masks,
                               unary_argmin(own, partner, lam, eta, 3))


def test_large_beta_gives_constant_masks():
    own, partner = saliencies(n=6, seed=2)
    free = graphcut_masks(own, partner, lam=0.5, beta=0., gamma=0., eta=0.,
                          n_labels=3)
    assert all(len(m.unique()) > 1 for m in free)
    smooth = graphcut_masks(own, partner, lam=0.5, beta=1e6, gamma=0.5,
                            eta=0., n_labels=3)
    for mask in smooth:
        assert len(mask.unique()) == 1


@pytest.mark.parametrize('lam, n_labels', [(0.5, 3), (0.25, 5)])
@pytest.mark.parametrize('beta', [0., 1.2])
def test_eta_pulls_the_mask_mean_toward_lam(lam, n_labels, beta):
    # the own image is the more salient almost everywhere: without the
    # prior the masks are mostly 1
    own, partner = saliencies(n=4, seed=3, peaked_partner=True)
    gaps = []
    for eta in (0., 0.5, 2., 8., 32., 1000.):
        masks = graphcut_masks(own, partner, lam=lam, beta=beta, gamma=0.,
                               eta=eta, n_labels=n_labels)
        gaps.append(float((masks.mean() - lam).abs()))
    assert gaps[0] > 0.2
    if beta == 0:
        # blocks are independent: the gap can only shrink
        assert all(b <= a + 1e-6 for a, b in zip(gaps, gaps[1:])), gaps
    assert gaps[-1] < 1e-6, gaps


def test_local_discontinuity_indexes_images_and_sides():
    # own image: left half 0, right half 1; partner: all 0
    own = torch.zeros(1, 3, 16, 16)
    own[..., 8:] = 1.
    images = torch.cat([own, torch.zeros(1, 3, 16, 16)])
    index = torch.tensor([1, 0])
    disc_v, disc_h = local_discontinuity(images, index, grid=2, neigh_size=4)
    assert disc_v.shape == (2, 2, 2, 1, 2)
    assert disc_h.shape == (2, 2, 2, 2, 1)
    # sample 0: [left image, right image], 0 = partner, 1 = own
    expected_h = torch.tensor([[0., 1.], [0., 1.]])
    torch.testing.assert_close(disc_h[0, :, :, 0, 0], expected_h)
    torch.testing.assert_close(disc_h[0, :, :, 1, 0], expected_h)
    # across the horizontal border only the right column can jump: when
    # one side shows the split image and the other the flat one
    expected_v = torch.zeros(2, 2, 1, 2)
    expected_v[0, 1, 0, 1] = expected_v[1, 0, 0, 1] = 1.
    torch.testing.assert_close(disc_v[0], expected_v)
    # sample 1 sees the roles swapped (its partner is the split image)
    torch.testing.assert_close(disc_h[1, :, :, 0, 0],
                               torch.tensor([[1., 0.], [1., 0.]]))


def test_block_saliency_is_normalised_block_mean():
    sal = torch.rand(3, 16, 16)
    blocks = block_saliency(sal, 4)
    torch.testing.assert_close(blocks.sum((1, 2)), torch.ones(3))
    pooled = F.avg_pool2d(sal[:, None], 4)[:, 0]
    torch.testing.assert_close(blocks,
                               pooled / pooled.sum((1, 2), keepdim=True))


class SquareReader(nn.Module):
    """A fixed conv classifier that only fires on bright regions."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        nn.init.constant_(self.conv.weight, 1 / 27)
        nn.init.constant_(self.conv.bias, -0.5)
        self.fc = nn.Linear(4, 3)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor(
                [[1., 2., -1., 0.5], [-1., 0., 1., 2.], [0., -2., 1., 1.]]))

    def forward(self, x):
        return self.fc(F.relu(self.conv(x)).mean((2, 3)))


def test_saliency_peaks_on_the_object_and_leaves_no_parameter_grad():
    model = SquareReader()
    images = torch.zeros(2, 3, 32, 32)
    images[0, :, 8:16, 16:24] = 1.  # block (1, 2) of a 4 x 4 grid
    images[1, :, 24:32, 0:8] = 1.  # block (3, 0)
    labels = torch.tensor([0, 1])
    sal = input_saliency(
        lambda x: F.cross_entropy(model(x), labels), images)
    assert sal.shape == (2, 32, 32)
    assert not sal.requires_grad
    peaks = block_saliency(sal, 4).flatten(1).argmax(1)
    assert peaks.tolist() == [1 * 4 + 2, 3 * 4 + 0]
    assert all(p.grad is None for p in model.parameters())


def random_case(seed, n=6, grid=8):
    g = torch.Generator().manual_seed(seed)
    sal = torch.rand(n, grid, grid, generator=g)**4
    mask = torch.randint(0, 3, (n, grid, grid), generator=g).float() / 2
    return mask, sal / sal.sum((1, 2), keepdim=True)


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('t_eps', [0.1, 0.8])
def test_transport_plan_is_a_permutation_that_shows_more_saliency(
        seed, t_eps):
    mask, sal = random_case(seed)
    plan = transport_plan(mask, sal, t_eps)
    size = mask[0].numel()
    assert plan.shape == (mask.size(0), size)
    assert (plan.sort(1).values == torch.arange(size)).all()
    shown = (mask.flatten(1) > 0).float()
    moved = sal.flatten(1).gather(1, plan)
    before = (sal.flatten(1) * shown).sum(1)
    after = (moved * shown).sum(1)
    assert (after >= before - 1e-6).all()
    assert (after > before + 1e-3).any()


def test_transport_moves_the_object_into_the_mask():
    grid = 4
    sal = torch.zeros(1, grid, grid)
    sal[0, 0, 0] = 1.  # the object in the top-left block
    mask = torch.zeros(1, grid, grid)
    mask[0, 2:, 2:] = 1.  # the image is shown bottom-right only
    plan = transport_plan(mask, sal, t_eps=0.1)
    dest = int((plan[0] == 0).nonzero())
    assert mask.flatten()[dest] == 1
    # moving far is not worth it with a large distance weight
    plan = transport_plan(mask, sal, t_eps=100.)
    assert (plan[0] == torch.arange(grid * grid)).all()


def test_apply_transport_moves_whole_blocks():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(2, 3, 16, 16, generator=g)
    identity = torch.arange(16).repeat(2, 1)
    torch.testing.assert_close(apply_transport(images, identity, 4), images)
    plan = torch.stack([torch.randperm(16, generator=g) for _ in range(2)])
    moved = apply_transport(images, plan, 4)

    def blocks(x):
        return x.reshape(2, 3, 4, 4, 4, 4).permute(0, 2, 4, 1, 3,
                                                   5).reshape(2, 16, -1)

    # destination block j holds source block plan[j], pixel for pixel
    torch.testing.assert_close(
        blocks(moved), blocks(images).gather(
            1, plan[..., None].expand(-1, -1, 48)))
    # the same multiset of blocks
    key = blocks(moved).sum(-1).sort(1).values
    torch.testing.assert_close(key, blocks(images).sum(-1).sort(1).values)
    assert not torch.allclose(moved, images)


def test_missing_gco_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, 'gco', None)
    own, partner = saliencies()
    with pytest.raises(ImportError, match='pip install gco-wrapper') as info:
        graphcut_masks(own, partner, 0.5, 1.2, 0.5, 0.2, 3)
    assert '\n' not in str(info.value)


def test_label_levels_and_device_of_masks():
    own, partner = saliencies(n=3, seed=5)
    masks = graphcut_masks(own, partner, lam=0.4, beta=1.2, gamma=0.,
                           eta=0.2, n_labels=3)
    assert masks.dtype == torch.float32
    assert set(np.unique(masks.numpy())) <= {0., 0.5, 1.}
