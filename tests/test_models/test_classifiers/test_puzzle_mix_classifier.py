# Copyright (c) samix_mm contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

from samix_mm.models.classifiers import puzzle_mix_classifier as pmc
from samix_mm.models.utils import apply_transport, block_saliency
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
from soft_mix_batch import PERM, batch, fix_draws  # noqa: I100

register_all_modules()
NUM_CLASSES = 5
LAM = 0.4
SOFT_CE = dict(type='CrossEntropyLoss', use_soft=True)
MEAN, STD = [120., 115., 110.], [60., 61., 62.]


def model_cfg(**overrides):
    cfg = dict(
        type='PuzzleMixClassifier', alpha=1.0, block_num=4, beta=1.2,
        gamma=0.5, eta=0.2, neigh_size=4, n_labels=3, t_eps=0.8, t_size=4,
        transport=False,
        backbone=dict(type='ResNet_CIFAR', depth=18, base_channels=8,
                      out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=NUM_CLASSES,
                  in_channels=64, loss=dict(SOFT_CE)),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=MEAN,
                               std=STD, num_classes=NUM_CLASSES))
    cfg.update(overrides)
    return cfg


@pytest.fixture
def fixed(monkeypatch):
    """Fix lam and the permutation."""
    fix_draws(monkeypatch, pmc, LAM)


def build(cfg):
    """The model, and what its ``puzzle_mix`` and head receive/return."""
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    seen = {}
    head_loss, puzzle_mix = model.head.loss, model.puzzle_mix

    def spy_head(feats, data_samples):
        seen['feats'] = feats
        seen['target'] = torch.stack([s.gt_score for s in data_samples])
        return head_loss(feats, data_samples)

    def spy_mix(inputs, saliency, lam, index, grid):
        out = puzzle_mix(inputs, saliency, lam, index, grid)
        seen.update(inputs=inputs, saliency=saliency, lam=lam, index=index,
                    grid=grid, mixed=out[0], mask=out[1], lam_mix=out[2])
        return out

    model.head.loss = spy_head
    model.puzzle_mix = spy_mix
    return model, seen


def test_mixed_images_and_label_weights(fixed):
    model, seen = build(model_cfg())
    inputs, samples, labels = batch()
    losses = model.loss(inputs, samples)
    mask, lam_mix = seen['mask'], seen['lam_mix']
    assert mask.shape == (6, 1, 32, 32)
    # the mask is constant on the 8 x 8 px blocks of the 4 x 4 grid
    blocks = F.interpolate(F.avg_pool2d(mask, 8), scale_factor=8.)
    torch.testing.assert_close(blocks, mask)
    # transport off: the mixed image is the masked sum, pixel for pixel
    torch.testing.assert_close(
        seen['mixed'], mask * inputs + (1 - mask) * inputs[PERM])
    # label weight = mean of the pixel mask of each sample, not lam
    torch.testing.assert_close(lam_mix, mask.mean((1, 2, 3)))
    assert (lam_mix - LAM).abs().max() > 0.01
    one_hot = F.one_hot(labels, NUM_CLASSES).float()
    lam_col = lam_mix[:, None]
    expected = lam_col * one_hot + (1 - lam_col) * one_hot[PERM]
    torch.testing.assert_close(seen['target'], expected)
    # the head reads the mixed images; the loss is its soft CE
    with torch.no_grad():
        feats = model.extract_feat(seen['mixed'])
    torch.testing.assert_close(seen['feats'][-1], feats[-1])
    scores = model.head(seen['feats'])
    ref = -(expected * F.log_softmax(scores, 1)).sum(1).mean()
    torch.testing.assert_close(losses['loss'], ref)
    assert all('gt_score' not in s for s in samples)


def test_mask_shows_the_more_salient_image_without_smoothness(fixed):
    model, seen = build(model_cfg(beta=0., eta=0.))
    inputs, samples, _ = batch()
    model.loss(inputs, samples)
    sal = block_saliency(seen['saliency'], 4)
    blocks = F.avg_pool2d(seen['mask'], 8)[:, 0]
    torch.testing.assert_close(blocks, (sal > sal[PERM]).float())


def test_saliency_is_the_input_gradient_in_eval_mode():
    model, _ = build(model_cfg())
    inputs, samples, labels = batch()
    bn = model.backbone.norm1
    running = bn.running_mean.clone()
    sal = model.saliency(inputs, model.target_scores(samples))
    assert model.training and bn.training
    torch.testing.assert_close(bn.running_mean, running)
    assert all(p.grad is None for p in model.parameters())
    # reference: plain hard-label CE in eval mode, gradient of the input
    ref_model = copy.deepcopy(model).eval()
    x = inputs.clone().requires_grad_(True)
    F.cross_entropy(ref_model.head(ref_model.extract_feat(x)),
                    labels).backward()
    torch.testing.assert_close(sal, x.grad.pow(2).mean(1).sqrt())


def test_transport_moves_blocks_of_both_images(fixed, monkeypatch):
    model, seen = build(model_cfg(transport=True, t_eps=0.1, eta=0.))
    plans = []
    plan_fn = pmc.transport_plan

    def spy(mask, saliency, t_eps):
        plans.append(plan_fn(mask, saliency, t_eps))
        return plans[-1]

    monkeypatch.setattr(pmc, 'transport_plan', spy)
    inputs, samples, _ = batch()
    model.loss(inputs, samples)
    mask = seen['mask']
    # block_num 4 (8 px blocks), t_size 4: an 8 x 8 transport grid
    own_plan, partner_plan = plans
    assert own_plan.shape == partner_plan.shape == (6, 64)
    identity = torch.arange(64)
    assert not (own_plan == identity).all()
    own = apply_transport(inputs, own_plan, 8)
    partner = apply_transport(inputs[PERM], partner_plan, 8)
    torch.testing.assert_close(seen['mixed'],
                               mask * own + (1 - mask) * partner)
    # the saliency the mask shows does not drop
    sal = block_saliency(seen['saliency'], 8).flatten(1)
    shown = (F.avg_pool2d(mask, 4).flatten(1) > 0).float()
    assert ((sal.gather(1, own_plan) * shown).sum(1) >=
            (sal * shown).sum(1) - 1e-6).all()
    torch.testing.assert_close(seen['lam_mix'], mask.mean((1, 2, 3)))


def test_train_step_gradients_come_from_the_mixed_loss_only(fixed):
    model, seen = build(model_cfg(transport=True))
    before = copy.deepcopy(model)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    grads = {}
    step = optim.step

    def spy_step(**kwargs):
        grads.update({n: p.grad.clone() for n, p in model.named_parameters()
                      if p.grad is not None})
        step(**kwargs)

    optim.step = spy_step
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (6, 3, 32, 32), generator=g,
                           dtype=torch.uint8).float()
    _, samples, _ = batch()
    log_vars = model.train_step(dict(inputs=images, data_samples=samples),
                                optim)
    assert torch.isfinite(log_vars['loss'])
    # the mixed loss alone (soft CE on the mixed images and targets),
    # recomputed on the model before the step (its head.loss is the spy of
    # the trained model: not used)
    scores = before.head(before.extract_feat(seen['mixed']))
    ref = -(seen['target'] * F.log_softmax(scores, 1)).sum(1).mean()
    ref.backward()
    expected = {n: p.grad for n, p in before.named_parameters()}
    assert set(grads) == set(expected)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, expected[name], msg=name)
    moved = [
        n for (n, p), q in zip(model.named_parameters(), before.parameters())
        if not torch.equal(p, q)
    ]
    assert 'head.fc.weight' in moved and 'backbone.conv1.weight' in moved


def test_block_num_drawn_from_the_given_sides(fixed):
    model, seen = build(model_cfg(block_num=(2, 8)))
    inputs, samples, _ = batch()
    sides = set()
    np.random.seed(0)
    for _ in range(8):
        model.loss(inputs, samples)
        sides.add(seen['grid'])
        # the mask is constant on the blocks of that grid
        block = 32 // seen['grid']
        coarse = F.interpolate(F.avg_pool2d(seen['mask'], block),
                               scale_factor=float(block))
        torch.testing.assert_close(coarse, seen['mask'])
    assert sides == {2, 8}


@pytest.mark.parametrize('overrides, message', [
    (dict(train_cfg=dict(augments=dict(type='Mixup', alpha=1.0))),
     'remove model.train_cfg.augments'),
    (dict(head=dict(type='LinearClsHead', num_classes=NUM_CLASSES,
                    in_channels=64,
                    loss=dict(type='CrossEntropyLoss'))), 'use_soft=True'),
    (dict(alpha=0), 'alpha must be a number > 0'),
    (dict(block_num=1), 'block_num must be an int >= 2'),
    (dict(block_num=()), 'block_num must be an int >= 2'),
    (dict(block_num=(4, 2.0)), 'block_num must be an int >= 2'),
    (dict(beta=-1), 'beta must be a number >= 0'),
    (dict(gamma=None), 'gamma must be a number >= 0'),
    (dict(eta=float('inf')), 'eta must be a number >= 0'),
    (dict(t_eps=True), 't_eps must be a number >= 0'),
    (dict(neigh_size=0), 'neigh_size must be an int >= 1'),
    (dict(n_labels=1), 'n_labels must be an int >= 2'),
    (dict(t_size=2.5), 't_size must be an int >= 1'),
    (dict(transport=1), 'transport must be True or False'),
])
def test_refuses(overrides, message):
    with pytest.raises(ValueError, match=message) as info:
        MODELS.build(model_cfg(**overrides))
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('overrides, size, message', [
    (dict(block_num=3), 32, 'divisible by block_num 3'),
    (dict(), 30, 'divisible by block_num 4'),
    (dict(neigh_size=3), 32, 'neigh_size=3 must divide the block side 8'),
    (dict(t_size=3, transport=True), 32,
     't_size=3 must divide the block side 8'),
])
def test_refuses_image_sizes(fixed, overrides, size, message):
    model, _ = build(model_cfg(**overrides))
    inputs, samples, _ = batch(size=size)
    with pytest.raises(ValueError, match=message) as info:
        model.loss(inputs, samples)
    assert '\n' not in str(info.value)
