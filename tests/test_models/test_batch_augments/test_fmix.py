# Copyright (c) samix_mm contributors. All rights reserved.
"""FMix: binary low-frequency masks, label weight = the mask's area."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.models import RandomBatchAugment

from samix_mm.models.batch_augments import FMix
from samix_mm.models.utils import mix_utils
from samix_mm.registry import BATCH_AUGMENTS

PERM = torch.tensor([2, 0, 1, 5, 3, 4])  # no sample is its own partner


def recording(monkeypatch, aug: FMix) -> list:
    """Pair samples by ``PERM``; return the list that gets each
    ``(lam, mask)`` that ``aug`` makes."""
    monkeypatch.setattr(mix_utils, 'random_pairing',
                        lambda num, device=None: PERM[:num].to(device))
    made, make_mask = [], aug.make_mask

    def make(num, img_shape, lam, device=None):
        mask = make_mask(num, img_shape, lam, device)
        made.append((lam, mask))
        return mask

    monkeypatch.setattr(aug, 'make_mask', make)
    return made


def test_built_from_configs_in_both_scopes():
    aug = BATCH_AUGMENTS.build(dict(type='FMix', alpha=0.2))
    assert isinstance(aug, FMix) and aug.decay_power == 3.0
    with DefaultScope.overwrite_default_scope('samix_mm'):
        wrapper = RandomBatchAugment(
            augments=dict(type='FMix', alpha=1, decay_power=2))
    assert isinstance(wrapper.augments[0], FMix)
    assert wrapper.augments[0].alpha == 1.0


@pytest.mark.parametrize('kwargs', [
    dict(alpha=0), dict(alpha=-1.), dict(alpha=float('nan')),
    dict(alpha=float('inf')), dict(alpha=True), dict(alpha='1'),
    dict(alpha=1., decay_power=0), dict(alpha=1., decay_power=-3.)
])
def test_bad_arguments_are_refused(kwargs):
    name = 'decay_power' if 'decay_power' in kwargs else 'alpha'
    with pytest.raises(ValueError, match=f'^{name} must be a number > 0'):
        FMix(**kwargs)


def test_mixed_images_and_scores_follow_the_mask(monkeypatch):
    torch.manual_seed(0)
    np.random.seed(0)
    aug = FMix(alpha=1.)
    made = recording(monkeypatch, aug)
    inputs = torch.randn(6, 3, 24, 20)
    scores = F.one_hot(torch.tensor([0, 1, 2, 3, 4, 5]), 8).float()
    mixed, mixed_scores = aug(inputs.clone(), scores)

    (lam, mask), = made
    assert mask.shape == (6, 1, 24, 20)
    assert set(mask.unique().tolist()) <= {0., 1.}
    assert torch.allclose(mixed, mask * inputs + (1 - mask) * inputs[PERM])
    area = mask.mean(dim=(1, 2, 3)).unsqueeze(1)
    assert torch.allclose(mixed_scores,
                          area * scores + (1 - area) * scores[PERM],
                          atol=1e-6)
    # exactly round(lam * H * W) pixels of every sample are its own
    assert torch.equal(mask.sum(dim=(1, 2, 3)),
                       torch.full((6, ), float(round(lam * 24 * 20))))
    # every sample has its own mask
    assert not torch.equal(mask[0], mask[1])


def test_area_follows_lam_over_many_draws(monkeypatch):
    torch.manual_seed(1)
    np.random.seed(1)
    aug = FMix(alpha=0.5)
    made = recording(monkeypatch, aug)
    scores = F.one_hot(torch.arange(3), 3).float()
    for _ in range(200):
        _, mixed_scores = aug(torch.zeros(3, 1, 16, 16), scores)
        area = made[-1][1].mean(dim=(1, 2, 3))
        assert torch.allclose(mixed_scores.diagonal(), area)
    lams = torch.tensor([lam for lam, _ in made])
    areas = torch.stack([mask.mean() for _, mask in made])
    assert (areas - lams).abs().max() <= 0.5 / 256 + 1e-6
    assert abs(float(lams.mean()) - 0.5) < 0.06  # E[Beta(a, a)] = 0.5


def test_masks_are_low_frequency_blobs():
    """δ = 3 gives few large regions; δ near 0 gives white noise."""
    torch.manual_seed(2)

    def boundary_share(decay_power: float) -> float:
        mask = FMix(1., decay_power).make_mask(16, (32, 32), 0.5)
        return float((mask[..., 1:] != mask[..., :-1]).float().mean())

    assert boundary_share(3.) < 0.15
    assert boundary_share(1e-3) > 0.35
