# Copyright (c) samix_mm contributors. All rights reserved.
import pytest
import torch

from samix_mm.models.mixers import adjust_mask_area, rescale_lam


@pytest.mark.parametrize('k', [0., 0.25, 1., 5., 10., 100.])
def test_rescale_lam_fixed_points(k):
    for lam in (0., 0.5, 1.):
        assert rescale_lam(lam, k) == pytest.approx(lam, abs=1e-12)


def test_rescale_lam_values():
    # k = 0.25, κ = 1.25: (4/3·0.008 - 2·0.04 + 1.25·0.2) / (1.25 - 2/3)
    assert rescale_lam(0.2, 0.25) == pytest.approx(0.18066667 / 0.58333333)
    assert rescale_lam(0.2, 0.25) == pytest.approx(0.31, abs=5e-3)
    # pulled towards 0.5, point-symmetric about 0.5
    for lam in (0.05, 0.2, 0.4):
        out = rescale_lam(lam, 0.25)
        assert lam < out < 0.5
        assert rescale_lam(1 - lam, 0.25) == pytest.approx(1 - out)


def test_rescale_lam_identity_and_clip():
    assert rescale_lam(0.2, -1) == 0.2
    assert rescale_lam(0.123, -0.5) == 0.123
    assert rescale_lam(0.2, 1e6) == rescale_lam(0.2, 10.)
    assert rescale_lam(0.2, 10.) != rescale_lam(0.2, 5.)
    with pytest.raises(ValueError, match=r'lam must be in \[0, 1\]'):
        rescale_lam(1.5, 0.25)


def _mask(mask_a):
    return torch.stack([mask_a, 1 - mask_a], dim=1)


@pytest.mark.parametrize('lam', [0.1, 0.3, 0.5, 0.9])
def test_adjust_mask_area(lam):
    torch.manual_seed(0)
    mask_a = torch.rand(6, 8, 8)
    mask_a[0] = 0.95  # mean above any λ here
    mask_a[1] = 0.02  # mean below any λ here
    mask = _mask(mask_a)
    out = adjust_mask_area(mask, lam)
    assert out.shape == mask.shape
    area = out[:, 0].mean(dim=(1, 2))
    torch.testing.assert_close(area, torch.full((6, ), lam), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.sum(1), torch.ones(6, 8, 8))
    assert out.min() >= 0 and out.max() <= 1
    # the input is not modified
    torch.testing.assert_close(mask, _mask(mask_a))


def test_adjust_mask_area_by_hand():
    # sample 0: mean 0.75 > λ=0.5 → m0 · 0.5/0.75
    # sample 1: mean 0.25 < λ → m1 = (1 - m0) · 0.5/0.75
    mask_a = torch.tensor([[[1., 0.5]], [[0., 0.5]]])  # (2, 1, 2)
    out = adjust_mask_area(_mask(mask_a), 0.5)
    torch.testing.assert_close(out[0, 0], torch.tensor([[2 / 3, 1 / 3]]))
    torch.testing.assert_close(out[1, 1], torch.tensor([[2 / 3, 1 / 3]]))
    torch.testing.assert_close(out[1, 0], torch.tensor([[1 / 3, 2 / 3]]))


def test_adjust_mask_area_clamps_empty_mask():
    out = adjust_mask_area(_mask(torch.zeros(1, 4, 4)), 0.3)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[:, 0].mean(), torch.tensor(0.3))


def test_adjust_mask_area_bad_inputs():
    with pytest.raises(ValueError, match=r'shape \(N, 2, H, W\)'):
        adjust_mask_area(torch.rand(2, 1, 4, 4), 0.5)
    with pytest.raises(ValueError, match=r'lam must be in \[0, 1\]'):
        adjust_mask_area(torch.rand(2, 2, 4, 4), -0.1)


def test_adjust_mask_area_keeps_a_mask_already_at_lam():
    """A sample whose λ-side area is exactly λ is returned bit-identical
    (no 1 - (1 - m) round trip); the others are still adjusted."""
    mask_a = torch.tensor([[[0.1]], [[0.7]]])  # 1x1: the mean is exact
    out = adjust_mask_area(_mask(mask_a), 0.1)
    assert torch.equal(out[0], _mask(mask_a)[0])
    torch.testing.assert_close(out[1, 0], torch.tensor([[0.1]]))


@pytest.mark.parametrize('fill, lam', [(0., 0.3), (1., 0.3), (0., 0.),
                                       (1., 1.)])
def test_adjust_mask_area_gradient_of_full_and_empty_masks(fill, lam):
    """The documented clamp of μ to [1e-8, 1 - 1e-8] keeps the gradient
    finite for all-zero and all-one masks (fp64, where 1 - 1e-8 < 1)."""
    mask_a = torch.full((2, 3, 3), fill, dtype=torch.float64,
                        requires_grad=True)
    out = adjust_mask_area(_mask(mask_a), lam)
    (out * torch.rand_like(out)).sum().backward()
    assert torch.isfinite(out).all()
    assert torch.isfinite(mask_a.grad).all()


def test_adjust_mask_area_bad_mask_message():
    with pytest.raises(ValueError, match=r'^mask must have shape '
                       r'\(N, 2, H, W\), got \(2, 1, 4, 4\)$'):
        adjust_mask_area(torch.rand(2, 1, 4, 4), 0.5)


def test_rescale_lam_k_zero_rescales():
    # κ = 1: (4/3·0.008 - 2·0.04 + 0.2) / (1/3) = 0.392
    assert rescale_lam(0.2, 0.) == pytest.approx(0.392, abs=1e-12)
    assert rescale_lam(0.2, -1e-9) == 0.2


def test_lam_margin_and_constant_mask():
    from samix_mm.models.mixers import (check_lam_margin, constant_mask,
                                        in_lam_margin)
    # the margin is included on both sides, 0.5 is never inside
    assert in_lam_margin(0.1, 0.1) and in_lam_margin(0.9, 0.1)
    assert not in_lam_margin(0.11, 0.1) and not in_lam_margin(0.89, 0.1)
    assert not in_lam_margin(0.5, 0.)
    like = torch.rand(3, 2, 4, 5, dtype=torch.float64)
    mask = constant_mask(like, 0.25)
    assert mask.dtype == torch.float64 and mask.shape == like.shape
    assert torch.all(mask[:, 0] == 0.25) and torch.all(mask[:, 1] == 0.75)
    assert check_lam_margin(0) == 0. and check_lam_margin(0.49) == 0.49
    for bad in (-0.01, 0.5):
        with pytest.raises(ValueError) as info:
            check_lam_margin(bad)
        assert str(info.value) == f'lam_margin must be in [0, 0.5), got {bad}'
