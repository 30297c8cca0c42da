# Copyright (c) samix_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from samix_mm.models.classifiers import trans_mix_classifier as tmc
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

register_all_modules()
NUM_CLASSES = 6
LAM = 0.7
# no involution: a mix-up of perm and its inverse is caught
PERM = torch.tensor([2, 0, 1, 5, 3, 4])
# every sample's partner has another label: target[i, y_i] == lam_attn(i)
LABELS = torch.tensor([0, 1, 2, 3, 4, 5])
# 32 px images, patch 8: a 4x4 grid. BOX covers the patches of rows 1-2 and
# columns 0-1 (patch indices 4, 5, 8, 9); ODD_BOX is not patch-aligned.
BOX = (8, 24, 0, 16)
ODD_BOX = (3, 21, 10, 29)
SOFT_CE = dict(type='CrossEntropyLoss', use_soft=True)
TINY_VIT = dict(
    type='VisionTransformer',
    arch=dict(embed_dims=32, num_layers=2, num_heads=2,
              feedforward_channels=64),
    img_size=32, patch_size=8, out_type='cls_token')


def model_cfg(**overrides):
    cfg = dict(
        # the CutMix branch at every step unless a test sets mixup_prob
        type='TransMixClassifier', alpha=1.0, mixup_prob=0.,
        backbone=dict(TINY_VIT),
        head=dict(type='VisionTransformerClsHead', num_classes=NUM_CLASSES,
                  in_channels=32, loss=dict(SOFT_CE)))
    cfg.update(overrides)
    return cfg


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(len(LABELS), 3, 32, 32, generator=g)
    samples = [DataSample().set_gt_label(int(y)) for y in LABELS]
    return inputs, samples


def build(box=BOX, **overrides):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(**overrides))
    # not init_weights: it zeroes the head (no gradient to the backbone)
    with torch.no_grad():
        model.backbone.cls_token.normal_()
        model.backbone.pos_embed.normal_(std=0.5)
    model.train()
    seen = {}
    head_loss = model.head.loss

    def spy(feats, data_samples):
        seen['target'] = torch.stack([s.gt_score for s in data_samples])
        return head_loss(feats, data_samples)

    def backbone_input(module, args):
        seen['mixed'] = args[0].detach().clone()

    model.head.loss = spy
    model.backbone.register_forward_pre_hook(backbone_input)
    model.cutmix.rand_bbox = lambda img_shape, lam, count=None: box
    return model, seen


@pytest.fixture
def fixed(monkeypatch):
    """Fix lam and the permutation (the box is fixed by ``build``)."""
    monkeypatch.setattr(np.random, 'beta', lambda a, b: LAM)
    monkeypatch.setattr(tmc, 'random_pairing',
                        lambda n, device=None: PERM.to(device))


def hand_cls_attention(model, images):
    """Class-token attention of the last layer to the patches, by hand:
    the backbone's steps up to the last layer's ``ln1`` and one softmax per
    head from slices of the ``qkv`` weight (C = 32, 2 heads of d = 16)."""
    vit = model.backbone
    with torch.no_grad():
        x, _ = vit.patch_embed(images)
        x = torch.cat([vit.cls_token.expand(len(x), -1, -1), x], dim=1)
        x = vit.pre_norm(x + vit.pos_embed)
        for layer in vit.layers[:-1]:
            x = layer(x)
        last = vit.layers[-1]
        x = last.ln1(x)
        weight, bias = last.attn.qkv.weight, last.attn.qkv.bias
        heads, weights, values = 2, [], []
        for h in range(heads):
            rows_q = slice(16 * h, 16 * h + 16)
            rows_k = slice(32 + 16 * h, 32 + 16 * h + 16)
            rows_v = slice(64 + 16 * h, 64 + 16 * h + 16)
            q = x @ weight[rows_q].T + bias[rows_q]
            k = x @ weight[rows_k].T + bias[rows_k]
            v = x @ weight[rows_v].T + bias[rows_v]
            a = torch.softmax(q @ k.transpose(1, 2) / 4.0, dim=-1)
            weights.append(a)
            values.append(a @ v)
        # the hand math is the module's: same output as its forward
        out = last.attn.proj(torch.cat(values, dim=-1))
        torch.testing.assert_close(out, last.attn(x))
    return torch.stack(weights, 1).mean(1)[:, 0, 1:]


def test_mixed_images_are_cutmix_of_inputs(fixed):
    model, seen = build(box=ODD_BOX)
    lams = []
    rand_bbox = model.cutmix.rand_bbox

    def record(img_shape, lam, count=None):
        lams.append(lam)
        return rand_bbox(img_shape, lam, count)

    model.cutmix.rand_bbox = record
    inputs, samples = batch()
    original = inputs.clone()
    model.loss(inputs, samples)
    assert lams == [LAM]
    yl, yh, xl, xh = ODD_BOX
    expected = inputs.clone()
    for i, j in enumerate(PERM.tolist()):
        expected[i, :, yl:yh, xl:xh] = inputs[j, :, yl:yh, xl:xh]
    torch.testing.assert_close(seen['mixed'], expected)
    torch.testing.assert_close(inputs, original)  # inputs not modified


def test_box_sampling_is_mmpretrain_cutmix(monkeypatch):
    monkeypatch.setattr(np.random, 'beta', lambda a, b: LAM)
    model = MODELS.build(model_cfg())
    np.random.seed(1)
    box, lam = model.sample_box((32, 32))
    np.random.seed(1)
    ref_box, ref_lam = model.cutmix.cutmix_bbox_and_lam((32, 32), LAM)
    assert box == tuple(int(v) for v in ref_box) and lam == ref_lam
    yl, yh, xl, xh = box
    assert lam == 1 - (yh - yl) * (xh - xl) / 32**2


@pytest.mark.parametrize('box', [BOX, ODD_BOX])
def test_recomputed_attention_matches_hand_math(fixed, box):
    model, seen = build(box=box)
    inputs, _ = batch()
    mixed = model.cutmix_images(inputs, box, PERM)
    _, attn, grid = model.forward_with_attention(mixed)
    assert grid == (4, 4) and attn.shape == (len(LABELS), 16)
    torch.testing.assert_close(attn, hand_cls_attention(model, mixed))
    # hooks are gone afterwards: prediction runs the plain modules
    assert not model.backbone.layers[-1].attn._forward_pre_hooks
    assert not model.backbone.patch_embed._forward_hooks


def test_attention_lambda_by_hand():
    attn = torch.arange(1., 17.).unsqueeze(0)  # patch p has weight p + 1
    lam = tmc.TransMixClassifier.attention_lambda(attn, BOX, (32, 32),
                                                  (4, 4))
    # patches 4, 5, 8, 9 (weights 5, 6, 9, 10) show the partner
    torch.testing.assert_close(lam, torch.tensor([(136. - 30.) / 136.]))
    empty = tmc.TransMixClassifier.attention_lambda(attn, (8, 8, 0, 16),
                                                    (32, 32), (4, 4))
    torch.testing.assert_close(empty, torch.tensor([1.]))


def test_target_weight_is_attention_mass_kept(fixed):
    model, seen = build(box=BOX)
    inputs, samples = batch()
    model.loss(inputs, samples)
    attn = hand_cls_attention(model, seen['mixed'])
    kept = torch.ones(16)
    kept[[4, 5, 8, 9]] = 0.
    lam = (attn * kept).sum(1) / attn.sum(1)
    one_hot = F.one_hot(LABELS, NUM_CLASSES).float()
    expected = lam[:, None] * one_hot + (1 - lam[:, None]) * one_hot[PERM]
    torch.testing.assert_close(seen['target'], expected)
    # not the area share (0.75): the weights come from the attention
    assert not torch.allclose(lam, torch.full_like(lam, 0.75), atol=1e-3)
    assert all('gt_score' not in s for s in samples)


def test_empty_box_keeps_own_label(fixed):
    model, seen = build(box=(8, 8, 0, 16))
    inputs, samples = batch()
    model.loss(inputs, samples)
    torch.testing.assert_close(seen['mixed'], inputs)
    torch.testing.assert_close(seen['target'],
                               F.one_hot(LABELS, NUM_CLASSES).float())


def test_gradients_reach_backbone_and_head(fixed):
    model, _ = build()
    inputs, samples = batch()
    model.loss(inputs, samples)['loss'].backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.grad is None or p.grad.abs().sum() == 0
    ]
    assert missing == []


@pytest.mark.parametrize('overrides, message', [
    (dict(train_cfg=dict(augments=dict(type='Mixup', alpha=1.0))),
     'remove model.train_cfg.augments'),
    (dict(data_preprocessor=dict(
        batch_augments=dict(augments=dict(type='Mixup', alpha=1.0)))),
     'batch_augments of model.data_preprocessor'),
    (dict(backbone=dict(type='ResNet_CIFAR', depth=18, base_channels=8)),
     "needs mmpretrain's VisionTransformer"),
    (dict(backbone=dict(TINY_VIT, with_cls_token=False,
                        out_type='featmap')),
     "needs mmpretrain's VisionTransformer"),
    (dict(backbone=dict(TINY_VIT, out_type='avg_featmap')),
     "needs mmpretrain's VisionTransformer"),
    (dict(head=dict(type='VisionTransformerClsHead', num_classes=NUM_CLASSES,
                    in_channels=32, loss=dict(type='CrossEntropyLoss'))),
     'use_soft=True'),
    (dict(alpha=0), 'alpha must be a number > 0'),
    (dict(mixup_alpha=0), 'mixup_alpha must be a number > 0'),
    (dict(mixup_prob=1.5), r'mixup_prob must be a number in \[0, 1\]'),
    (dict(mixup_prob=True), r'mixup_prob must be a number in \[0, 1\]'),
])
def test_refuses(overrides, message):
    with pytest.raises(ValueError, match=message) as info:
        MODELS.build(model_cfg(**overrides))
    assert '\n' not in str(info.value)


def test_mixup_branch_mixes_images_and_labels_by_lam(monkeypatch):
    draws = []

    def beta(a, b):
        draws.append((a, b))
        return LAM

    monkeypatch.setattr(np.random, 'beta', beta)
    monkeypatch.setattr(tmc, 'random_pairing',
                        lambda n, device=None: PERM.to(device))
    model, seen = build(mixup_prob=1., mixup_alpha=0.3)
    model.cutmix.rand_bbox = None  # the CutMix box must not be drawn
    inputs, samples = batch()
    model.loss(inputs, samples)
    assert draws == [(0.3, 0.3)]
    torch.testing.assert_close(seen['mixed'],
                               LAM * inputs + (1 - LAM) * inputs[PERM])
    one_hot = F.one_hot(LABELS, NUM_CLASSES).float()
    torch.testing.assert_close(seen['target'],
                               LAM * one_hot + (1 - LAM) * one_hot[PERM])


@pytest.mark.parametrize('draw, mixup', [(0.29, True), (0.31, False)])
def test_branch_switch_follows_mixup_prob(fixed, monkeypatch, draw, mixup):
    monkeypatch.setattr(np.random, 'rand', lambda: draw)
    model, seen = build(mixup_prob=0.3)
    inputs, samples = batch()
    model.loss(inputs, samples)
    yl, yh, xl, xh = BOX
    outside = torch.ones(32, 32, dtype=torch.bool)
    outside[yl:yh, xl:xh] = False
    # CutMix keeps each image outside the box; Mixup changes every pixel
    kept = torch.equal(seen['mixed'][..., outside], inputs[..., outside])
    assert kept is not mixup


def test_predict_is_inherited():
    model, _ = build()
    model.eval()
    inputs, samples = batch()
    with torch.no_grad():
        preds = model.predict(inputs, samples)
        scores = model.head(model.extract_feat(inputs)).softmax(1)
    torch.testing.assert_close(torch.stack([p.pred_score for p in preds]),
                               scores)
