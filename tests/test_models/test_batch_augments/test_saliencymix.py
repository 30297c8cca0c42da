# Copyright (c) samix_mm contributors. All rights reserved.
"""SaliencyMix: a CutMix box on the partner's spectral-residual peak."""
import math
from typing import List, Tuple

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.models import RandomBatchAugment

from samix_mm.models.batch_augments import SaliencyMix
from samix_mm.models.utils import mix_utils
from samix_mm.registry import BATCH_AUGMENTS

PERM = torch.tensor([3, 0, 1, 2, 5, 4])  # no sample is its own partner
# one blob per image, all apart; 3 and 5 near corners (clipped boxes)
CENTRES = [(8, 9), (20, 12), (14, 24), (1, 30), (23, 20), (30, 2)]


def blob_images(centres: List[Tuple[int, int]],
                size: int = 32,
                radius: float = 1.,
                seed: int = 0) -> torch.Tensor:
    """Noise images (σ = 0.5) with a bright Gaussian blob at each centre."""
    gen = torch.Generator().manual_seed(seed)
    images = 0.5 * torch.randn(len(centres), 3, size, size, generator=gen)
    rows, cols = torch.meshgrid(torch.arange(size * 1.),
                                torch.arange(size * 1.),
                                indexing='ij')
    for image, (row, col) in zip(images, centres):
        image += 5. * torch.exp(-((rows - row)**2 + (cols - col)**2) /
                                (2 * radius**2))
    return images


def test_built_from_configs_in_both_scopes():
    aug = BATCH_AUGMENTS.build(dict(type='SaliencyMix', alpha=0.2))
    assert isinstance(aug, SaliencyMix) and aug.saliency_size == 64
    with DefaultScope.overwrite_default_scope('samix_mm'):
        wrapper = RandomBatchAugment(
            augments=dict(type='SaliencyMix', alpha=1, saliency_size=None))
    assert isinstance(wrapper.augments[0], SaliencyMix)


@pytest.mark.parametrize('kwargs, message', [
    (dict(alpha=0.), 'alpha must be a number > 0'),
    (dict(alpha=-1), 'alpha must be a number > 0'),
    (dict(alpha=float('inf')), 'alpha must be a number > 0'),
    (dict(alpha=1., saliency_size=2), 'saliency_size must be None or an int'),
    (dict(alpha=1., saliency_size=64.), 'saliency_size must be None or an'),
    (dict(alpha=1., smooth_kernel=4), 'smooth_kernel must be an odd int'),
    (dict(alpha=1., smooth_kernel=0), 'smooth_kernel must be an odd int'),
    (dict(alpha=1., smooth_sigma=0), 'smooth_sigma must be a number > 0'),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match='^' + message):
        SaliencyMix(**kwargs)


def test_saliency_peaks_on_the_blob():
    saliency = SaliencyMix(alpha=1.).saliency_map(blob_images(CENTRES))
    assert saliency.shape == (6, 32, 32)
    for sal, (row, col) in zip(saliency, CENTRES):
        peak_row, peak_col = divmod(int(sal.argmax()), 32)
        assert max(abs(peak_row - row), abs(peak_col - col)) <= 2
    # 96 px images are looked at 64 px wide: the peak is still the blob
    big = [(20, 70), (75, 30)]
    saliency = SaliencyMix(alpha=1.).saliency_map(
        blob_images(big, size=96, radius=3.))
    for sal, (row, col) in zip(saliency, big):
        peak_row, peak_col = divmod(int(sal.argmax()), 96)
        assert max(abs(peak_row - row), abs(peak_col - col)) <= 2


def test_boxes_are_centred_on_the_saliency_peak():
    centres = [(8, 8), (12, 20), (23, 15), (16, 16)]
    y1, y2, x1, x2 = SaliencyMix(alpha=1.).saliency_boxes(
        blob_images(centres), lam=0.75)
    # area 1 - λ: sides of sqrt(0.25) * 32 = 16 px, inside the image here
    assert torch.equal(y2 - y1, torch.full((4, ), 16))
    assert torch.equal(x2 - x1, torch.full((4, ), 16))
    for k, (row, col) in enumerate(centres):
        assert abs((y1[k] + y2[k] - 1) / 2 - row) <= 1.5
        assert abs((x1[k] + x2[k] - 1) / 2 - col) <= 1.5


def test_mix_pastes_the_partner_box_weighted_by_its_clipped_area(
        monkeypatch):
    torch.manual_seed(0)
    np.random.seed(3)
    aug = SaliencyMix(alpha=1.)
    monkeypatch.setattr(mix_utils, 'random_pairing',
                        lambda num, device=None: PERM[:num].to(device))
    boxes, saliency_boxes = [], aug.saliency_boxes

    def record(partners, lam):
        box = saliency_boxes(partners, lam)
        boxes.append((lam, box))
        return box

    monkeypatch.setattr(aug, 'saliency_boxes', record)
    inputs = blob_images(CENTRES)
    scores = F.one_hot(torch.arange(6), 6).float()
    mixed, mixed_scores = aug(inputs.clone(), scores)

    (lam, (y1, y2, x1, x2)), = boxes
    cut = int(32 * math.sqrt(1 - lam))
    assert cut >= 4
    rows, cols = torch.arange(32), torch.arange(32)
    clipped = 0
    for i in range(6):
        row, col = CENTRES[int(PERM[i])]  # the partner's blob
        assert y1[i] <= row < y2[i] and x1[i] <= col < x2[i]
        if y2[i] - y1[i] == cut and x2[i] - x1[i] == cut:
            assert abs((y1[i] + y2[i] - 1) / 2 - row) <= 1.5
            assert abs((x1[i] + x2[i] - 1) / 2 - col) <= 1.5
        else:
            clipped += 1
        box = ((rows >= y1[i]) & (rows < y2[i]))[:, None] & (
            (cols >= x1[i]) & (cols < x2[i]))[None, :]
        assert torch.equal(mixed[i],
                           torch.where(box, inputs[PERM[i]], inputs[i]))
        area = float(box.float().mean())
        expected = (1 - area) * scores[i] + area * scores[PERM[i]]
        assert torch.allclose(mixed_scores[i], expected, atol=1e-6)
    assert clipped >= 2  # the corner blobs' boxes are cut by the border
