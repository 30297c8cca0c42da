# Copyright (c) samix_mm contributors. All rights reserved.
import doctest
import random

import numpy as np
import pytest
import torch
from torch import nn

from samix_mm.models.losses import MixMaskLoss
from samix_mm.models.mixers import PixelMixer, rescale_lam
from samix_mm.models.mixers import pixel_mixer as pixel_mixer_module

C, N, HW, OUT = 8, 4, 4, (16, 16)
SAMIX = dict(in_channels=C,
             lam_mul=1.,
             lam_mul_k=0.25,
             lam_residual=True,
             value_neck_cfg=dict(hidden_channels=4, dropout=0.),
             x_qk_concat=True)


def _feats(seed=0):
    gen = torch.Generator().manual_seed(seed)
    feat = torch.randn(N, C, HW, HW, generator=gen)
    return feat, feat[torch.tensor([2, 0, 3, 1])]


def _randomize(mixer, std=0.5, seed=1):
    """Large random weights so that inputs visibly change the mask."""
    torch.manual_seed(seed)
    for p in mixer.parameters():
        nn.init.normal_(p, std=std)
    return mixer.eval()


def test_build_from_registry():
    from samix_mm.utils import register_all_modules
    register_all_modules()
    from samix_mm.registry import MODELS
    mixer = MODELS.build(dict(type='PixelMixer', **SAMIX))
    assert isinstance(mixer, PixelMixer)
    assert mixer.in_channels == C


@pytest.mark.parametrize('cfg', [
    dict(in_channels=C),
    dict(in_channels=C, upsample_mode='nearest', lam_concat=True),
    SAMIX,
])
def test_mask_shape_range_sum_and_init(cfg):
    mixer = PixelMixer(**cfg)
    feat_a, feat_b = _feats()
    mask = mixer(feat_a, feat_b, 0.3, OUT)
    assert mask.shape == (N, 2, *OUT)
    assert mask.dtype == torch.float32
    assert mask.min() >= 0 and mask.max() <= 1
    torch.testing.assert_close(mask.sum(1),
                               torch.ones(N, *OUT),
                               atol=1e-6,
                               rtol=0)
    # N(0, 0.01) init: the first masks are about 0.5 everywhere
    torch.testing.assert_close(mask,
                               torch.full_like(mask, 0.5),
                               atol=1e-2,
                               rtol=0)


def test_channel_1_is_partner_weight():
    """Channel 1 rises where the partner's value map is large."""
    mixer = PixelMixer(in_channels=C)
    with torch.no_grad():
        mixer.value.weight.zero_()
        mixer.value.bias.fill_(3.)  # v = 3 for the partner → m_b = σ(3)
    mask = mixer(*_feats(), 0.5, OUT)
    expect = torch.sigmoid(torch.tensor(3.))
    torch.testing.assert_close(mask[:, 1], torch.full((N, *OUT), expect))


def test_gradients_reach_mixer_params():
    mixer = PixelMixer(**SAMIX)
    mask = mixer(*_feats(), 0.3, OUT)
    MixMaskLoss(margin=0.)(mask, 0.9).backward()
    for name, param in mixer.named_parameters():
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name


def test_frozen():
    mixer = PixelMixer(**SAMIX, frozen=True)
    assert not any(p.requires_grad for p in mixer.parameters())
    mixer.train()
    assert not mixer.training
    assert not any(m.training for m in mixer.modules())
    feat_a, feat_b = _feats()
    feat_a.requires_grad_(True)
    mask = mixer(feat_a, feat_b, 0.3, OUT)
    mask[:, 1].sum().backward()
    assert all(p.grad is None for p in mixer.parameters())
    assert feat_a.grad is not None  # the graph itself is intact
    assert PixelMixer(**SAMIX).train().training


def test_lam_mul_makes_mask_depend_on_lam():
    feat_a, feat_b = _feats()
    plain = _randomize(PixelMixer(in_channels=C))
    assert torch.equal(plain(feat_a, feat_b, 0.2, OUT),
                       plain(feat_a, feat_b, 0.8, OUT))
    mul = PixelMixer(in_channels=C, lam_mul=1.)
    mul.load_state_dict(plain.state_dict())
    mul.eval()
    diff = (mul(feat_a, feat_b, 0.2, OUT) - mul(feat_a, feat_b, 0.8, OUT))
    assert diff.abs().max() > 1e-2


@pytest.mark.parametrize('residual', [False, True])
@pytest.mark.parametrize('k', [-1, 0.25])
def test_lam_mul_scaling_is_exact(residual, k):
    """lam_mul equals feeding the plain Mixer pre-scaled features."""
    feat_a, feat_b = _feats()
    plain = _randomize(PixelMixer(in_channels=C))
    mul = PixelMixer(in_channels=C,
                     lam_mul=0.5 if residual else 1.,
                     lam_mul_k=k,
                     lam_residual=residual)
    mul.load_state_dict(plain.state_dict())
    mul.eval()
    lam = 0.2
    lam_k = lam if k < 0 else (4 / 3 * lam**3 - 2 * lam**2 +
                               1.25 * lam) / (1.25 - 2 / 3)
    if residual:
        scale_a, scale_b = 1 + 0.5 * lam_k, 1 + 0.5 * (1 - lam_k)
    else:
        scale_a, scale_b = lam_k, 1 - lam_k
    expect = plain(feat_a * scale_a, feat_b * scale_b, lam, OUT)
    torch.testing.assert_close(mul(feat_a, feat_b, lam, OUT), expect)


def test_lam_concat():
    mixer = _randomize(PixelMixer(in_channels=C, lam_concat=True))
    assert mixer.query.in_channels == C + 1
    assert mixer.value.in_channels == C + 1
    assert mixer.query.out_channels == C // 2
    feat_a, feat_b = _feats()
    diff = mixer(feat_a, feat_b, 0.2, OUT) - mixer(feat_a, feat_b, 0.8, OUT)
    assert diff.abs().max() > 1e-2
    # the partner's constant channel is 1 - λ: read it alone as the value
    with torch.no_grad():
        mixer.value.weight.zero_()
        mixer.value.weight[0, C] = 1.
        mixer.value.bias.zero_()
    mask = mixer(feat_a, feat_b, 0.2, OUT)
    torch.testing.assert_close(mask[:, 1],
                               torch.sigmoid(torch.full((N, *OUT), 0.8)))


def test_value_only_from_partner():
    """Without x_qk_concat, a changes the mask only through the queries."""
    mixer = _randomize(PixelMixer(in_channels=C))
    with torch.no_grad():
        mixer.query.weight.zero_()  # uniform attention: mask = mean of v(b)
    feat_a, feat_b = _feats()
    out = mixer(feat_a, feat_b, 0.5, OUT)
    torch.testing.assert_close(out, mixer(feat_a * 5 - 1, feat_b, 0.5, OUT))
    assert (out - mixer(feat_a, feat_b * 2, 0.5, OUT)).abs().max() > 1e-3


def test_x_qk_concat():
    mixer = _randomize(PixelMixer(in_channels=C, x_qk_concat=True))
    assert mixer.query.in_channels == 2 * C
    assert mixer.key.in_channels == 2 * C
    assert PixelMixer(in_channels=C).key is None
    feat_a, feat_b = _feats()
    out = mixer(feat_a, feat_b, 0.5, OUT)
    # the key conv is used: changing it changes the mask
    with torch.no_grad():
        mixer.key.weight.mul_(3.)
    assert (out - mixer(feat_a, feat_b, 0.5, OUT)).abs().max() > 1e-3


def test_value_neck():
    mixer = PixelMixer(in_channels=C,
                       value_neck_cfg=dict(hidden_channels=6, dropout=0.1))
    layers = list(mixer.value)
    assert [type(m) for m in layers
            ] == [nn.Conv2d, nn.BatchNorm2d, nn.ELU, nn.Conv2d, nn.Dropout]
    assert layers[0].in_channels == C and layers[0].out_channels == 6
    assert layers[3].out_channels == 1
    assert layers[0].bias is None and layers[3].bias is None
    assert layers[4].p == 0.1
    assert torch.equal(layers[1].weight, torch.ones(6))
    assert PixelMixer(in_channels=C,
                      value_neck_cfg=dict(hidden_channels=6)).value[4].p == 0


def test_use_scale():
    feat_a, feat_b = _feats()
    scaled = _randomize(PixelMixer(in_channels=C))
    unscaled = PixelMixer(in_channels=C, use_scale=False)
    unscaled.load_state_dict(scaled.state_dict())
    unscaled.eval()
    assert (scaled(feat_a, feat_b, 0.5, OUT) -
            unscaled(feat_a, feat_b, 0.5, OUT)).abs().max() > 1e-3
    # q and k share the conv: scaling it by d^(-1/4) divides QK by sqrt(d)
    with torch.no_grad():
        unscaled.query.weight.div_(2.**0.5)  # d = 4
        unscaled.query.bias.div_(2.**0.5)
    torch.testing.assert_close(unscaled(feat_a, feat_b, 0.5, OUT),
                               scaled(feat_a, feat_b, 0.5, OUT))


def test_upsample_modes():
    feat_a, feat_b = _feats()
    nearest = _randomize(PixelMixer(in_channels=C, upsample_mode='nearest'))
    out = nearest(feat_a, feat_b, 0.5, OUT)
    # blocks of 4x4 pixels are constant
    blocks = out.unfold(2, 4, 4).unfold(3, 4, 4)
    assert torch.equal(blocks, blocks[..., :1, :1].expand_as(blocks))
    bilinear = PixelMixer(in_channels=C)
    bilinear.load_state_dict(nearest.state_dict())
    smooth = bilinear.eval()(feat_a, feat_b, 0.5, OUT)
    assert not torch.allclose(smooth, out)
    # logits are upsampled before the sigmoid
    logit = torch.logit(nearest(feat_a, feat_b, 0.5, (HW, HW))[:, 1:])
    expect = torch.sigmoid(
        torch.nn.functional.interpolate(logit,
                                        size=OUT,
                                        mode='bilinear',
                                        align_corners=False))
    torch.testing.assert_close(smooth[:, 1:], expect, atol=1e-5, rtol=0)
    # bicubic, also to a non-square output
    bicubic = PixelMixer(in_channels=C, upsample_mode='bicubic')
    bicubic.load_state_dict(nearest.state_dict())
    bicubic.eval()
    assert bicubic(feat_a, feat_b, 0.5, (12, 20)).shape == (N, 2, 12, 20)
    expect = torch.sigmoid(
        torch.nn.functional.interpolate(logit,
                                        size=OUT,
                                        mode='bicubic',
                                        align_corners=False))
    torch.testing.assert_close(bicubic(feat_a, feat_b, 0.5, OUT)[:, 1:],
                               expect, atol=1e-5, rtol=0)


def test_autocast_bf16_returns_fp32():
    mixer = _randomize(PixelMixer(**SAMIX))
    feat_a, feat_b = _feats()
    expect = mixer(feat_a, feat_b, 0.3, OUT)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = mixer(feat_a, feat_b, 0.3, OUT)
        out_bf16 = mixer(feat_a.bfloat16(), feat_b.bfloat16(), 0.3, OUT)
    assert out.dtype == torch.float32 and out_bf16.dtype == torch.float32
    torch.testing.assert_close(out, expect, atol=1e-6, rtol=0)
    torch.testing.assert_close(out_bf16.sum(1), torch.ones(N, *OUT))


def test_default_init_survives_parent_init_cfg():
    mixer = PixelMixer(in_channels=C)
    nn.init.constant_(mixer.query.weight, 1.)
    mixer.init_weights()
    assert mixer.query.weight.std() < 0.05
    assert torch.equal(mixer.query.bias, torch.zeros(C // 2))


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=0), r'in_channels \(0\) must be > 0'),
    (dict(in_channels=7), r'divisible by reduction \(2\)'),
    (dict(in_channels=C, upsample_mode='area'),
     r"upsample_mode must be one of nearest/bilinear/bicubic .*'area'"),
    (dict(in_channels=C, lam_mul_k='0.25'),
     "lam_mul_k must be a single number.*'0.25'"),
    (dict(in_channels=C, lam_concat=True,
          lam_mul=1.), 'lam_concat and lam_mul are exclusive'),
    (dict(in_channels=C, lam_concat=True,
          x_qk_concat=True), 'lam_concat and x_qk_concat are exclusive'),
    (dict(in_channels=C, lam_mul=-1.), 'lam_mul must be >= 0'),
    (dict(in_channels=C,
          value_neck_cfg=dict(in_channels=8)), 'value_neck_cfg has keys'),
    (dict(in_channels=C,
          value_neck_cfg=dict(hidden_channels=4, dropout=0.1, act='ELU')),
     r"keys \['act', 'dropout', 'hidden_channels'\]"),
])
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PixelMixer(**kwargs)


def test_bad_forward_inputs():
    mixer = PixelMixer(in_channels=C)
    feat_a, feat_b = _feats()
    with pytest.raises(ValueError, match=r'lam must be in \[0, 1\], got 1.5'):
        mixer(feat_a, feat_b, 1.5, OUT)
    with pytest.raises(ValueError, match=r'lam must be in \[0, 1\]'):
        mixer(feat_a, feat_b, -0.1, OUT)
    wide = torch.randn(N, 16, HW, HW)
    with pytest.raises(ValueError,
                       match=r'16 channels but the Mixer has in_channels=8'
                       r".*`in_channels` must equal the channels of the "
                       r'backbone stage'):
        mixer(wide, wide, 0.5, OUT)
    with pytest.raises(ValueError, match='must both have shape'):
        mixer(feat_a, feat_b[:2], 0.5, OUT)
    with pytest.raises(ValueError, match='out_size must be'):
        mixer(feat_a, feat_b, 0.5, (16, ))


def test_rescale_used_by_mixer_matches_op():
    assert rescale_lam(0.2, 0.25) == pytest.approx(0.30971, abs=1e-4)


def test_docstring_example():
    result = doctest.testmod(pixel_mixer_module, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_forward_draws_no_random_number():
    mixer = PixelMixer(**SAMIX).eval()
    feats = _feats()
    before = (random.getstate(), np.random.get_state()[1].copy(),
              torch.get_rng_state())
    mixer(*feats, 0.3, OUT)
    assert random.getstate() == before[0]
    assert (np.random.get_state()[1] == before[1]).all()
    assert torch.equal(torch.get_rng_state(), before[2])


@pytest.mark.parametrize('kwargs, message', [
    (dict(upsample_mode=['nearest', 'bicubic']),
     'upsample_mode must be one of nearest/bilinear/bicubic (a single '
     "str), got ['nearest', 'bicubic']"),
    (dict(upsample_mode=['bilinear']),
     'upsample_mode must be one of nearest/bilinear/bicubic (a single '
     "str), got ['bilinear']"),
    (dict(lam_mul_k=[-1, 0.25]),
     'lam_mul_k must be a single number, e.g. 0.25 (negative = no '
     'rescaling), got [-1, 0.25]'),
    (dict(lam_mul_k=(0.25, )),
     'lam_mul_k must be a single number, e.g. 0.25 (negative = no '
     'rescaling), got (0.25,)'),
])
def test_lists_are_refused(kwargs, message):
    """One upsample mode and one k per Mixer; lists are not drawn from."""
    with pytest.raises(ValueError) as info:
        PixelMixer(in_channels=C, lam_mul=1., **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize('mode', ['nearest', 'bilinear', 'bicubic'])
@pytest.mark.parametrize('k', [-1, 0.25, 1])
def test_single_values_are_kept(mode, k):
    mixer = PixelMixer(in_channels=C, lam_mul=1., upsample_mode=mode,
                       lam_mul_k=k)
    assert mixer.upsample_mode == mode
    assert mixer.lam_mul_k == k and isinstance(mixer.lam_mul_k, float)


@pytest.mark.parametrize('cfg', [dict(hidden_channels=0),
                                 dict(hidden_channels=4, dropout=1.),
                                 dict(hidden_channels=4, dropout=1.5),
                                 dict(hidden_channels=4, dropout=-0.1)])
def test_value_neck_refuses_bad_sizes(cfg):
    with pytest.raises(ValueError, match=r'^value_neck_cfg needs '
                       r'hidden_channels > 0 and dropout in \[0, 1\), got'):
        PixelMixer(in_channels=C, value_neck_cfg=cfg)


def test_value_neck_of_one_hidden_channel():
    mixer = PixelMixer(in_channels=C, value_neck_cfg=dict(
        hidden_channels=1, dropout=0.99))
    assert mixer.value[0].out_channels == 1
    assert mixer.value[4].p == 0.99


def test_init_weights_redraws_default_init_only_without_init_cfg():
    mixer = PixelMixer(**SAMIX)
    with torch.no_grad():
        for p in mixer.parameters():
            p.fill_(5.)
    mixer.init_weights()
    assert float(mixer.query.weight.std()) == pytest.approx(0.01, rel=0.5)
    assert not mixer.query.bias.any()
    assert torch.equal(mixer.value[1].weight, torch.ones(4))
    # with an init_cfg, that one wins
    mixer = PixelMixer(**SAMIX, init_cfg=dict(type='Constant', val=2.,
                                              layer='Conv2d'))
    mixer.init_weights()
    assert torch.equal(mixer.query.weight,
                       torch.full_like(mixer.query.weight, 2.))


def test_check_inputs_bounds_and_messages():
    mixer = PixelMixer(**SAMIX)
    feat_a, feat_b = _feats()
    for lam in (0., 1.):  # bounds included
        assert mixer(feat_a, feat_b, lam, OUT).shape == (N, 2, *OUT)
    assert mixer(feat_a, feat_b, 0.5, (1, 1)).shape == (N, 2, 1, 1)
    with pytest.raises(ValueError, match=r'^out_size must be \(H, W\) > 0'):
        mixer(feat_a, feat_b, 0.5, (0, 4))
    with pytest.raises(ValueError, match=r'^feat_a and feat_b must both have '
                       r'shape \(N, C, h, w\), got \(4, 8, 4, 4\) and '
                       r'\(4, 8, 4, 2\)$'):
        mixer(feat_a, feat_b[..., :2], 0.5, OUT)


def test_lam_concat_channels_by_value():
    mixer = PixelMixer(in_channels=C, lam_concat=True)
    feat_a, feat_b = _feats()
    x_a, x_b = mixer._inject_lam(feat_a, feat_b, 0.3)
    assert torch.equal(x_a[:, :C], feat_a) and torch.equal(x_b[:, :C], feat_b)
    torch.testing.assert_close(x_a[:, C], torch.full((N, HW, HW), 0.3))
    torch.testing.assert_close(x_b[:, C], torch.full((N, HW, HW), 0.7))


@pytest.mark.parametrize('kwargs, message', [
    (dict(in_channels=C, lam_concat=True, lam_mul=1.),
     'lam_concat and lam_mul are exclusive; set lam_mul=0 or '
     'lam_concat=False'),
    (dict(in_channels=C, lam_concat=True, x_qk_concat=True),
     'lam_concat and x_qk_concat are exclusive; set one of them to False'),
    (dict(in_channels=C, upsample_mode='area'),
     'upsample_mode must be one of nearest/bilinear/bicubic (a single '
     "str), got 'area'"),
    (dict(in_channels=C, reduction=0),
     f'in_channels ({C}) must be > 0 and divisible by reduction (0); '
     'change one of them'),
    (dict(in_channels=0, reduction=1),
     'in_channels (0) must be > 0 and divisible by reduction (1); '
     'change one of them'),
])
def test_config_messages_are_exact(kwargs, message):
    with pytest.raises(ValueError) as info:
        PixelMixer(**kwargs)
    assert str(info.value) == message


def test_smallest_valid_sizes_and_defaults():
    """One channel and reduction 1 are valid; λ enters without residual
    unless asked (the AutoMix default)."""
    mixer = PixelMixer(in_channels=1, reduction=1)
    assert mixer.lam_residual is False
    feat = torch.randn(2, 1, 4, 4)
    mask = mixer(feat, feat.flip(0), 0.3, (8, 8))
    assert mask.shape == (2, 2, 8, 8)
