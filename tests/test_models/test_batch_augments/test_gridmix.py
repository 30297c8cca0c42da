# Copyright (c) samix_mm contributors. All rights reserved.
"""GridMix: random cells from the partner, label weight = actual area."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.models import RandomBatchAugment

from samix_mm.models.batch_augments import GridMix
from samix_mm.models.utils import mix_utils
from samix_mm.registry import BATCH_AUGMENTS

PERM = torch.tensor([1, 2, 0, 4, 5, 3])  # no sample is its own partner


def recording(monkeypatch, aug: GridMix) -> list:
    """Pair samples by ``PERM``; return the list that gets each
    ``(lam, n_holes, mask)`` that ``aug`` makes."""
    monkeypatch.setattr(mix_utils, 'random_pairing',
                        lambda num, device=None: PERM[:num].to(device))
    made, make_mask = [], aug.make_mask

    def make(num, img_shape, lam, n_holes, device=None):
        mask = make_mask(num, img_shape, lam, n_holes, device)
        made.append((lam, n_holes, mask))
        return mask

    monkeypatch.setattr(aug, 'make_mask', make)
    return made


def test_built_from_configs_in_both_scopes():
    aug = BATCH_AUGMENTS.build(dict(type='GridMix', alpha=0.2))
    assert isinstance(aug, GridMix) and aug.n_holes == (4, 4)
    with DefaultScope.overwrite_default_scope('samix_mm'):
        wrapper = RandomBatchAugment(
            augments=dict(type='GridMix', alpha=1, n_holes=[2, 6]))
    assert wrapper.augments[0].n_holes == (2, 6)


@pytest.mark.parametrize('kwargs, message', [
    (dict(alpha=0), 'alpha must be a number > 0'),
    (dict(alpha=-0.2), 'alpha must be a number > 0'),
    (dict(alpha=float('nan')), 'alpha must be a number > 0'),
    (dict(alpha=None), 'alpha must be a number > 0'),
    (dict(alpha=1., n_holes=0), 'n_holes must be an int >= 1'),
    (dict(alpha=1., n_holes=2.5), 'n_holes must be an int >= 1'),
    (dict(alpha=1., n_holes=True), 'n_holes must be an int >= 1'),
    (dict(alpha=1., n_holes=(4, 2)), 'n_holes must be an int >= 1'),
    (dict(alpha=1., n_holes=(1, 2, 3)), 'n_holes must be an int >= 1'),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match='^' + message):
        GridMix(**kwargs)


def test_more_cells_than_pixels_are_refused():
    with pytest.raises(ValueError, match='do not fit 4x6 images'):
        GridMix(alpha=1., n_holes=5)(torch.zeros(2, 3, 4, 6), torch.eye(2))


def test_mixed_images_and_scores_follow_the_mask(monkeypatch):
    torch.manual_seed(0)
    np.random.seed(0)
    aug = GridMix(alpha=1., n_holes=4)
    made = recording(monkeypatch, aug)
    inputs = torch.randn(6, 3, 32, 24)
    scores = F.one_hot(torch.tensor([0, 1, 2, 3, 4, 5]), 7).float()
    mixed, mixed_scores = aug(inputs.clone(), scores)

    (lam, n_holes, mask), = made
    assert n_holes == 4 and mask.shape == (6, 1, 32, 24)
    assert torch.allclose(mixed, mask * inputs + (1 - mask) * inputs[PERM])
    area = mask.mean(dim=(1, 2, 3)).unsqueeze(1)
    assert torch.allclose(mixed_scores,
                          area * scores + (1 - area) * scores[PERM],
                          atol=1e-6)
    # binary and constant on each of the 4 x 4 cells of 8 x 6 pixels
    cells = mask.view(6, 4, 8, 4, 6)
    assert set(mask.unique().tolist()) <= {0., 1.}
    assert torch.equal(cells, cells[:, :, :1, :, :1].expand_as(cells))
    # the samples are mixed differently (and so weighted differently)
    assert len(set(area.flatten().tolist())) > 1


def test_area_is_lam_on_average():
    """E[area] = λ, also when the cells differ in size (30 = 8+7+8+7)."""
    torch.manual_seed(1)
    aug = GridMix(alpha=1., n_holes=4)
    for lam in (0.1, 0.3, 0.8):
        mask = aug.make_mask(2000, (30, 30), lam, 4)
        assert abs(float(mask.mean()) - lam) < 0.015


def test_area_follows_lam_over_many_draws(monkeypatch):
    torch.manual_seed(2)
    np.random.seed(2)
    aug = GridMix(alpha=0.5, n_holes=(2, 4))
    made = recording(monkeypatch, aug)
    scores = F.one_hot(torch.arange(6), 6).float()
    for _ in range(300):
        _, mixed_scores = aug(torch.zeros(6, 1, 16, 16), scores)
        area = made[-1][2].mean(dim=(1, 2, 3))
        assert torch.allclose(mixed_scores.diagonal(), area)
    lams = torch.tensor([lam for lam, _, _ in made])
    areas = torch.stack([mask.mean(dim=(1, 2, 3)) for _, _, mask in made])
    assert abs(float((areas - lams[:, None]).mean())) < 0.02
    assert {n for _, n, _ in made} == {2, 3, 4}
