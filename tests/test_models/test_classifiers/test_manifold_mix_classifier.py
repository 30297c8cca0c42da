# Copyright (c) samix_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from samix_mm.models.classifiers import manifold_mix_classifier as mmc
from samix_mm.models.utils import forward_to_stage
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
from soft_mix_batch import PERM, batch, fix_draws  # noqa: I100

register_all_modules()
NUM_CLASSES = 5
LAM = 0.3
SOFT_CE = dict(type='CrossEntropyLoss', use_soft=True)
BACKBONES = dict(
    cifar=dict(type='ResNet_CIFAR', depth=18, base_channels=8,
               out_indices=(3, )),
    # ImageNet stem: deep stem + max pooling
    v1c=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
             out_indices=(3, )),
)


def model_cfg(mix_stages=(1, ), backbone='cifar', **overrides):
    cfg = dict(
        type='ManifoldMixClassifier', alpha=1.0, mix_stages=mix_stages,
        backbone=dict(BACKBONES[backbone]) if isinstance(backbone, str)
        else backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=NUM_CLASSES,
                  in_channels=64, loss=dict(SOFT_CE)))
    cfg.update(overrides)
    return cfg


@pytest.fixture
def fixed(monkeypatch):
    """Fix lam and the permutation; record what the head receives."""
    fix_draws(monkeypatch, mmc, LAM)


def build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    seen = {}
    head_loss = model.head.loss

    def spy(feats, data_samples):
        seen['feats'] = feats
        seen['target'] = torch.stack([s.gt_score for s in data_samples])
        return head_loss(feats, data_samples)

    model.head.loss = spy
    return model, seen


def manual_feats(model, inputs, stage):
    """Mix by hand after ``stage``: prefix and suffix of the backbone run
    separately (no use of the classifier's own stage loop)."""
    backbone = model.backbone
    if stage == -1:
        mixed = LAM * inputs + (1 - LAM) * inputs[PERM]
        return model.neck(backbone(mixed))
    h = forward_to_stage(backbone, inputs, stage)
    h = LAM * h + (1 - LAM) * h[PERM]
    for name in backbone.res_layers[stage + 1:]:
        h = getattr(backbone, name)(h)
    return model.neck((h, ))


@pytest.mark.parametrize('backbone', ['cifar', 'v1c'])
@pytest.mark.parametrize('stage', [-1, 0, 1, 2, 3])
def test_head_gets_features_mixed_at_stage(fixed, backbone, stage):
    model, seen = build(model_cfg(mix_stages=(stage, ), backbone=backbone))
    inputs, samples, _ = batch()
    model.loss(inputs, samples)
    with torch.no_grad():
        expected = manual_feats(model, inputs, stage)
    torch.testing.assert_close(seen['feats'][-1], expected[-1])
    # mixing does matter at this stage: the unmixed features differ
    with torch.no_grad():
        plain = model.extract_feat(inputs)
    assert not torch.allclose(plain[-1], expected[-1], atol=1e-4)


def test_soft_target(fixed):
    model, seen = build(model_cfg(mix_stages=(0, 2)))
    inputs, samples, labels = batch()
    losses = model.loss(inputs, samples)
    one_hot = F.one_hot(labels, NUM_CLASSES).float()
    expected = LAM * one_hot + (1 - LAM) * one_hot[PERM]
    torch.testing.assert_close(seen['target'], expected)
    # the loss is the soft CE of the head's scores on that target
    scores = model.head(seen['feats'])
    ref = -(expected * F.log_softmax(scores, 1)).sum(1).mean()
    torch.testing.assert_close(losses['loss'], ref)
    # the caller's data samples are not modified
    assert all('gt_score' not in s for s in samples)


def test_input_stage_equals_mixing_images(fixed):
    model, seen = build(model_cfg(mix_stages=(-1, )))
    inputs, samples, _ = batch()
    model.loss(inputs, samples)
    mixed = LAM * inputs + (1 - LAM) * inputs[PERM]
    with torch.no_grad():
        expected = model.extract_feat(mixed)
    torch.testing.assert_close(seen['feats'][-1], expected[-1])


@pytest.mark.parametrize('stage', [-1, 1])
def test_gradients_reach_every_parameter(fixed, stage):
    model, _ = build(model_cfg(mix_stages=(stage, )))
    inputs, samples, _ = batch()
    model.loss(inputs, samples)['loss'].backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.grad is None or p.grad.abs().sum() == 0
    ]
    assert missing == []


def test_stage_drawn_uniformly_from_mix_stages(fixed, monkeypatch):
    model, _ = build(model_cfg(mix_stages=(-1, 0, 2)))
    drawn = []
    forward = model.mixed_backbone_forward

    def spy(inputs, stage, lam, index):
        drawn.append(stage)
        return forward(inputs, stage, lam, index)

    monkeypatch.setattr(model, 'mixed_backbone_forward', spy)
    np.random.seed(0)
    inputs, samples, _ = batch(n=6, size=8)
    for _ in range(30):
        model.loss(inputs, samples)
    assert set(drawn) == {-1, 0, 2}


@pytest.mark.parametrize('overrides, message', [
    (dict(train_cfg=dict(augments=dict(type='Mixup', alpha=1.0))),
     'remove model.train_cfg.augments'),
    (dict(data_preprocessor=dict(
        batch_augments=dict(augments=dict(type='Mixup', alpha=1.0)))),
     'batch_augments of model.data_preprocessor'),
    (dict(backbone=dict(type='LeNet5', num_classes=-1)),
     'ResNet-family backbone'),
    (dict(head=dict(type='LinearClsHead', num_classes=NUM_CLASSES,
                    in_channels=64,
                    loss=dict(type='CrossEntropyLoss'))), 'use_soft=True'),
    (dict(mix_stages=(4, )), r'ints in \[-1, 3\]'),
    (dict(mix_stages=()), r'ints in \[-1, 3\]'),
    (dict(alpha=0), 'alpha must be a number > 0'),
])
def test_refuses(overrides, message):
    with pytest.raises(ValueError, match=message) as info:
        MODELS.build(model_cfg(**overrides))
    assert '\n' not in str(info.value)


def test_predict_is_inherited():
    model, _ = build(model_cfg())
    model.eval()
    inputs, samples, _ = batch()
    with torch.no_grad():
        preds = model.predict(inputs, samples)
        scores = model.head(model.extract_feat(inputs)).softmax(1)
    torch.testing.assert_close(torch.stack([p.pred_score for p in preds]),
                               scores)
