# Copyright (c) samix_mm contributors. All rights reserved.
import copy
import inspect

import numpy as np
import pytest
import torch
from mmengine import Config
from mmpretrain.structures import DataSample

from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

register_all_modules()
BASE = Config.fromfile('configs/_base_/models/samix_resnet18_cifar.py').model
NUM_CLASSES = 5


def model_cfg(**overrides):
    cfg = copy.deepcopy(BASE.to_dict())
    cfg['backbone'].update(base_channels=16)  # small and fast
    cfg['mixer'].update(in_channels=64, value_neck_cfg=dict(
        hidden_channels=32, dropout=0.))
    for head in ('head_one', 'head_mix', 'head_mix_k'):
        cfg[head].update(num_classes=NUM_CLASSES, in_channels=128)
    cfg.update(overrides)
    return cfg


def batch(n=6, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, size, size, generator=g)
    labels = torch.arange(n) % NUM_CLASSES
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return inputs, samples


def grads_by_part(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    parts = dict(backbone=model.backbone, head_one=model.head_one,
                 head_mix=model.head_mix, mixer=model.mixer,
                 backbone_k=model.backbone_k, head_one_k=model.head_one_k,
                 head_mix_k=model.head_mix_k)
    return {
        name: any(p.grad is not None and p.grad.abs().sum() > 0
                  for p in part.parameters())
        for name, part in parts.items()
    }


def test_gradient_routing():
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(model_cfg())
    model.train()
    losses = model.loss(*batch())
    assert set(losses) == {'loss_mix_q', 'loss_one_q', 'loss_mix_k',
                           'loss_mask'}
    expected = {
        'loss_mix_q': {'backbone', 'head_mix'},
        'loss_one_q': {'backbone', 'head_one'},
        'loss_mix_k': {'mixer'},
        'loss_mask': {'mixer'},
    }
    for name, parts in expected.items():
        got = {k for k, v in grads_by_part(model, losses[name]).items() if v}
        assert got == parts, name
    # momentum modules are frozen, so nothing can ever train them
    for part in (model.backbone_k, model.head_one_k, model.head_mix_k):
        assert not any(p.requires_grad for p in part.parameters())


def test_momentum_update_params_only():
    torch.manual_seed(0)
    model = MODELS.build(model_cfg())
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(1.)
    k_before = {k: v.clone() for k, v in model.backbone_k.state_dict().items()}
    q = dict(model.backbone.state_dict())
    model.momentum = 0.9
    model.momentum_update()
    params = {n for n, _ in model.backbone_k.named_parameters()}
    for name, value in model.backbone_k.state_dict().items():
        if name in params:
            torch.testing.assert_close(
                value, 0.9 * k_before[name] + 0.1 * q[name])
        else:  # BN running stats: the momentum encoder keeps its own
            torch.testing.assert_close(value, k_before[name])
    model.momentum = 1.0
    frozen = copy.deepcopy(model.backbone_k.state_dict())
    model.momentum_update()
    for name, value in model.backbone_k.state_dict().items():
        torch.testing.assert_close(value, frozen[name])


def test_lam_margin_falls_back_to_mixup():
    model = MODELS.build(model_cfg())
    mask = torch.rand(3, 2, 8, 8)
    mask[:, 1] = 1 - mask[:, 0]
    out = model._classifier_mask(mask, 0.05)
    assert torch.all(out[:, 0] == 0.05) and torch.all(out[:, 1] == 0.95)
    out = model._classifier_mask(mask, 0.5)
    torch.testing.assert_close(out, mask)


def test_same_seed_same_losses():
    def run():
        torch.manual_seed(3)
        np.random.seed(3)
        model = MODELS.build(model_cfg())
        model.train()
        return {k: float(v) for k, v in model.loss(*batch()).items()}
    assert run() == run()


def test_predict_reports_four_branches():
    model = MODELS.build(model_cfg())
    model.eval()
    inputs, samples = batch(n=3)
    out = model.predict(inputs, samples)
    for branch in ('one_k', 'mix_k', 'one_q', 'mix_q'):
        score = out[0].get(f'pred_score_{branch}')
        assert score.shape == (NUM_CLASSES, )
        torch.testing.assert_close(score.sum(), torch.tensor(1.))
    torch.testing.assert_close(out[0].pred_score, out[0].pred_score_one_k)


@pytest.mark.parametrize('overrides, match', [
    (dict(mixer=dict(type='PixelMixer', in_channels=32)),
     r'mixer.in_channels=64'),
    (dict(backbone=dict(type='ResNet_CIFAR', depth=18, base_channels=16,
                        out_indices=(3, ))), r'out_indices'),
    (dict(alpha=0.), r'alpha'),
    (dict(data_preprocessor=dict(batch_augments=dict(
        augments=[dict(type='Mixup', alpha=1.)]))), r'batch_augments'),
])
def test_bad_configs_fail_at_build(overrides, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(model_cfg(**overrides))


def test_label_out_of_range():
    model = MODELS.build(model_cfg())
    inputs, samples = batch(n=2)
    samples[0].set_gt_label(NUM_CLASSES + 3)
    with pytest.raises(ValueError, match='num_classes'):
        model.loss(inputs, samples)


def test_init_weights_starts_momentum_modules_as_copies():
    model = MODELS.build(model_cfg())
    model.init_weights()  # what the Runner calls; re-draws every init_cfg
    for online, ema in model._momentum_pairs():
        for (name, q), k in zip(online.state_dict().items(),
                                ema.state_dict().values()):
            assert torch.equal(q, k), name


def test_lam_margin_bound_is_included():
    model = MODELS.build(model_cfg(lam_margin=0.25))
    mask = torch.rand(2, 2, 4, 4)
    for lam in (0.25, 0.75):  # λ or 1 - λ exactly at the margin
        out = model._classifier_mask(mask, lam)
        assert torch.all(out[:, 0] == lam) and torch.all(out[:, 1] == 1 - lam)
    assert torch.equal(model._classifier_mask(mask, 0.7), mask)


def test_classifier_mask_draws_no_random_number(monkeypatch):
    model = MODELS.build(model_cfg())
    monkeypatch.setattr(np.random, 'rand', lambda: pytest.fail('drawn'))
    mask = torch.rand(2, 2, 4, 4)
    assert torch.equal(model._classifier_mask(mask, 0.3), mask)


def test_pooled_is_the_last_stage_only():
    model = MODELS.build(model_cfg()).eval()
    inputs, _ = batch(n=2)
    with torch.no_grad():
        feats = model._pooled(model.backbone, inputs)
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (2, 128)


def test_recipe_defaults():
    """The constructor's defaults are the original recipe's values."""
    keys = ('alpha', 'momentum', 'mask_layer', 'lam_margin', 'mix_no_repeat')
    params = inspect.signature(MODELS.get('SAMixClassifier')).parameters
    defaults = {k: params[k].default for k in keys}
    recipe = dict(alpha=2.0, momentum=0.999, mask_layer=2, lam_margin=0.08,
                  mix_no_repeat=False)
    assert defaults == recipe
    cfg = model_cfg()
    for key in keys:
        cfg.pop(key, None)
    model = MODELS.build(cfg)  # the defaults as the constructor applies them
    assert {k: getattr(model, k) for k in keys} == recipe
    assert model.base_momentum == 0.999 and model.step_skipped is False


def test_head_shape_messages():
    def head(num_classes, in_channels):
        return dict(type='LinearClsHead', num_classes=num_classes,
                    in_channels=in_channels,
                    loss=dict(type='CrossEntropyLoss', use_soft=True))

    cases = [
        (dict(head_mix=head(NUM_CLASSES + 1, 128)),
         'head_mix must have the num_classes and in_channels of head_one: '
         f'fc weights ({NUM_CLASSES + 1}, 128) vs ({NUM_CLASSES}, 128)'),
        (dict(head_mix_k=head(NUM_CLASSES, 64)),
         'head_mix_k must have the num_classes and in_channels of head_one: '
         f'fc weights ({NUM_CLASSES}, 64) vs ({NUM_CLASSES}, 128)'),
        (dict(head_one=head(NUM_CLASSES, 64), head_mix=head(NUM_CLASSES, 64),
              head_mix_k=head(NUM_CLASSES, 64)),
         "the backbone gives 128 channels but head_one.in_channels=64; set "
         "the heads' in_channels=128"),
    ]
    for overrides, message in cases:
        with pytest.raises(ValueError) as info:
            MODELS.build(model_cfg(**overrides))
        assert str(info.value) == message


@pytest.mark.parametrize('overrides, message', [
    (dict(alpha=0.), 'alpha must be > 0, got 0.0'),
    (dict(momentum=1.5), 'momentum must be in [0, 1], got 1.5'),
    (dict(momentum=-0.1), 'momentum must be in [0, 1], got -0.1'),
    (dict(lam_margin=0.5), 'lam_margin must be in [0, 0.5), got 0.5'),
    (dict(lam_margin=1.0), 'lam_margin must be in [0, 0.5), got 1.0'),
    (dict(lam_margin=-0.01), 'lam_margin must be in [0, 0.5), got -0.01'),
    (dict(data_preprocessor=dict(batch_augments=dict(
        augments=[dict(type='Mixup', alpha=1.)]))),
     'SAMixClassifier mixes inside the model: remove '
     'data_preprocessor.batch_augments from the config'),
    (dict(backbone=dict(type='ResNet_CIFAR', depth=18, base_channels=16,
                        out_indices=(1, 3))),
     'backbone.out_indices must be (mask_layer, last_stage) = (2, ...), got '
     '(1, 3); set model.backbone.out_indices=(2, 3)'),
    (dict(backbone=dict(type='ResNet_CIFAR', depth=18, base_channels=16)),
     'backbone.out_indices must be (mask_layer, last_stage) = (2, ...), got '
     'None; set model.backbone.out_indices=(2, 3)'),
])
def test_argument_errors_are_exact(overrides, message):
    """Each bad argument is refused with its one-line message."""
    with pytest.raises(ValueError) as info:
        MODELS.build(model_cfg(**overrides))
    assert str(info.value) == message


@pytest.mark.parametrize('overrides', [
    dict(alpha=0.5), dict(momentum=0.), dict(momentum=1.),
    dict(lam_margin=0.), dict(lam_margin=0.49)])
def test_argument_bounds_are_accepted(overrides):
    """The ends of each documented range are valid values."""
    model = MODELS.build(model_cfg(**overrides))
    for key, value in overrides.items():
        assert getattr(model, key) == value


def test_data_preprocessor_defaults_to_cls():
    """A preprocessor dict without ``type`` builds ClsDataPreprocessor."""
    from mmpretrain.models import ClsDataPreprocessor
    model = MODELS.build(model_cfg(data_preprocessor=dict(
        mean=[1., 2., 3.], std=[2., 2., 2.])))
    assert type(model.data_preprocessor) is ClsDataPreprocessor
    out = model.data_preprocessor(
        dict(inputs=[torch.full((3, 2, 2), 5, dtype=torch.uint8)]))
    torch.testing.assert_close(out['inputs'][0, :, 0, 0],
                               torch.tensor([2., 1.5, 1.]))


def test_init_cfg_reaches_the_model(tmp_path):
    """``init_cfg=Pretrained`` loads a whole SAMix checkpoint at init."""
    source = MODELS.build(model_cfg())
    torch.save(dict(state_dict=source.state_dict()), tmp_path / 'a.pth')
    model = MODELS.build(model_cfg(init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'a.pth'))))
    model.init_weights()
    for (name, a), b in zip(source.state_dict().items(),
                            model.state_dict().values()):
        assert torch.equal(a, b), name


def test_momentum_schedule_starts_from_the_configured_momentum():
    """The cosine schedule of SAMixMomentumHook ramps from ``momentum``."""
    from types import SimpleNamespace

    from samix_mm.engine.hooks import SAMixMomentumHook
    model = MODELS.build(model_cfg(momentum=0.99))
    runner = SimpleNamespace(model=model, iter=5, max_iters=10)
    SAMixMomentumHook(end_momentum=1.).before_train_iter(runner, 5)
    assert model.momentum == pytest.approx(0.995)


def test_head_mix_k_is_its_own_head():
    """``head_mix_k`` is built from its config, else a deep copy of head_mix.
    """
    model = MODELS.build(model_cfg())  # the base config: SAMixLoss
    assert type(model.head_mix_k.loss_module).__name__ == 'SAMixLoss'
    assert type(model.head_mix.loss_module).__name__ == 'CrossEntropyLoss'
    copied = MODELS.build(model_cfg(head_mix_k=None))
    assert type(copied.head_mix_k.loss_module).__name__ == 'CrossEntropyLoss'
    assert copied.head_mix_k is not copied.head_mix
    assert copied.head_mix_k.fc.weight is not copied.head_mix.fc.weight
    assert copied.head_mix_k.fc.weight.data_ptr() != \
        copied.head_mix.fc.weight.data_ptr()
