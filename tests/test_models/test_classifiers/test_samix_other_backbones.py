# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMixClassifier on mmpretrain's VisionTransformer, SwinTransformer and
ConvNeXt: one real training step of each built-in-data config (the wiring
of the DeiT-S, Swin-T and ConvNeXt-T configs at micro size).

The Mixer must read the momentum encoder's map of ``mask_layer`` (taken here
from the backbone's own modules, not from its outputs), the heads the pooled
last stage of the online encoder; the Mixer must learn; the momentum encoder
must get no gradient and move only by EMA.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from samix_mm.models.utils import check_stage_out_indices
from samix_mm.models.utils.stage_forward import probe_size
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
BATCH = 6
SIZE = 32


def tokens_to_map(tokens: torch.Tensor, side: int) -> torch.Tensor:
    """``(N, side * side, C)`` tokens as an ``(N, C, side, side)`` map."""
    return tokens.reshape(tokens.size(0), side, side, -1).permute(0, 3, 1, 2)


# name: (config, expected Mixer input (C, h, w) at 32 px,
#        the momentum encoder's module whose output the Mixer must read and
#        how it becomes a map,
#        the online encoder's module whose output the heads must pool and
#        how it is pooled)
CASES = {
    # layer 2 of 4 (mask_layer=1), patch 4: 8x8 tokens after the class token
    'vit': ('samix_vit-micro-p4_1xb64-15e_synthetic-shapes.py', (64, 8, 8),
            lambda b: b.layers[1], lambda t: tokens_to_map(t[:, 1:], 8),
            lambda b: b.ln1, lambda t: t[:, 1:].mean(dim=1)),
    # stage 3 after its patch merging and norm2, patch 1: 32 -> 4 px
    'swin': ('samix_swin-micro-p1_1xb64-15e_synthetic-shapes.py',
             (256, 4, 4), lambda b: b.norm2, lambda t: tokens_to_map(t, 4),
             lambda b: b.norm3, lambda t: t.mean(dim=1)),
    # stage 3 with its LayerNorm, 1x1 stem: 32 -> 8 px
    'convnext': ('samix_convnext-micro_1xb64-15e_synthetic-shapes.py',
                 (128, 8, 8), lambda b: b.norm2, lambda t: t,
                 lambda b: b.norm3, lambda t: t.mean(dim=(2, 3))),
}


def build(config: str) -> tuple:
    """The config's model (weights initialised, momentum modules copied
    from the online ones, train mode) and optimizer wrapper.

    Args:
        config (str): A config file name in ``configs/samix``.
    """
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'samix', config))
    model_cfg = cfg.model.to_dict()
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor.to_dict())
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper.to_dict())


def record(module: torch.nn.Module, calls: list, pre: bool = False):
    """Append the inputs (``pre``) or outputs of each call of ``module``.

    Args:
        module (nn.Module): The module to watch.
        calls (list): Receives the positional inputs or a copy of the
            output of each call.
        pre (bool): Record inputs instead of outputs. Defaults to False.

    Returns:
        The hook handle.
    """
    if pre:
        return module.register_forward_pre_hook(
            lambda m, args: calls.append(args))
    return module.register_forward_hook(
        lambda m, args, out: calls.append(out.detach().clone()))


def momentum_params(model) -> dict:
    """The parameters of the momentum encoder and heads by full name."""
    return {
        f'{prefix}.{name}': p
        for prefix in ('backbone_k', 'head_one_k', 'head_mix_k')
        for name, p in getattr(model, prefix).named_parameters()
    }


def clone(params) -> dict:
    """Copies of ``(name, parameter)`` pairs by name."""
    return {name: p.detach().clone() for name, p in params}


@pytest.mark.parametrize('name', list(CASES))
def test_one_training_step(name):
    """One train_step: the Mixer reads mask_layer of the momentum encoder and
    learns, the heads read the online last stage, the momentum modules get
    no gradient and move by EMA only."""
    config, (channels, h, w), stage_k, as_map, last_q, pool = CASES[name]
    torch.manual_seed(0)
    np.random.seed(0)
    model, optim = build(config)
    mixer_calls, stage_calls, head_calls, last_calls = [], [], [], []
    hooks = [
        record(model.mixer, mixer_calls, pre=True),
        record(stage_k(model.backbone_k), stage_calls),
        record(model.head_one, head_calls, pre=True),
        record(last_q(model.backbone), last_calls),
    ]
    momentum = momentum_params(model)
    assert all(not p.requires_grad for p in momentum.values())
    momentum_before = clone(momentum.items())
    mixer_before = clone(model.mixer.named_parameters())
    # which parameters hold a gradient when the optimizer steps
    with_grad = {}
    step = optim.step

    def checked_step(**kwargs):
        with_grad.update({
            n: p.grad is not None
            for n, p in model.named_parameters()
        })
        step(**kwargs)

    optim.step = checked_step
    inputs = list(
        torch.randint(0, 256, (BATCH, 3, SIZE, SIZE), dtype=torch.uint8))
    samples = [DataSample().set_gt_label(i % 10) for i in range(BATCH)]
    log_vars = model.train_step(dict(inputs=inputs, data_samples=samples),
                                optim)
    for hook in hooks:
        hook.remove()
    assert torch.isfinite(log_vars['loss'])

    # the Mixer read the momentum encoder's clean map of mask_layer (the
    # first call of the momentum encoder in the step), sample and partner
    feat, feat_partner, lam, out_size = mixer_calls[0]
    assert tuple(feat.shape) == (BATCH, channels, h, w)
    assert tuple(feat_partner.shape) == (BATCH, channels, h, w)
    assert tuple(out_size) == (SIZE, SIZE) and 0 <= lam <= 1
    torch.testing.assert_close(feat, as_map(stage_calls[0]))
    assert len(mixer_calls) == 2  # Mixer branch and classifier branch
    assert mixer_calls[1][0] is feat
    # head_one classified the pooled last stage of the online encoder (its
    # last forward in the step is the clean one)
    torch.testing.assert_close(head_calls[-1][0][-1], pool(last_calls[-1]))

    # the Mixer learnt: every parameter had a gradient and moved
    for n, p in model.mixer.named_parameters():
        assert with_grad[f'mixer.{n}'], n
        assert not torch.equal(p, mixer_before[n]), n
    # the momentum modules had no gradient and did not move ...
    for n, p in momentum.items():
        assert not with_grad[n], n
        assert p.grad is None, n
        torch.testing.assert_close(p, momentum_before[n], rtol=0, atol=0)
    # ... until the EMA update moves them towards the online modules
    online = {
        f'{k}.{n}': p
        for k, q in (('backbone_k', 'backbone'), ('head_one_k', 'head_one'),
                     ('head_mix_k', 'head_mix'))
        for n, p in getattr(model, q).named_parameters()
    }
    model.momentum = 0.9
    model.momentum_update()
    moved = 0
    for n, p in momentum.items():
        expected = 0.9 * momentum_before[n] + 0.1 * online[n].detach()
        torch.testing.assert_close(p, expected)
        moved += not torch.equal(p, momentum_before[n])
    assert moved > 0


@pytest.mark.parametrize('config,key,value', [
    (CASES['vit'][0], 'out_type', 'cls_token'),
    (CASES['convnext'][0], 'gap_before_final_norm', True),
])
def test_pooled_stage_is_refused_at_build(config, key, value):
    """A backbone that gives the Mixer (N, C) vectors fails at build, with
    the option that gives maps."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'samix', config))
    cfg.model.backbone[key] = value
    with pytest.raises(ValueError, match=r'as an \(N, C, h, w\) map but it '
                       r'has shape \(2, \d+\).*' + key):
        MODELS.build(cfg.model)


@pytest.mark.parametrize('out_indices,mask_layer,hint', [
    ((11, ), 5, '(5, 11)'),
    ((4, 11), 5, '(5, 11)'),
    (None, 5, '(5, LAST) with LAST the index of the last stage or layer'),
    ((3, ), 2, '(2, 3)'),
])
def test_out_indices_hint_fits_the_backbone(out_indices, mask_layer, hint):
    """The suggested out_indices keep the config's last index (a ViT's
    11), not a ResNet's 3."""
    backbone = dict(type='VisionTransformer')
    if out_indices is not None:
        backbone['out_indices'] = out_indices
    with pytest.raises(ValueError) as error:
        check_stage_out_indices(backbone, mask_layer)
    assert f'set model.backbone.out_indices={hint}' in str(error.value)


def test_probe_runs_at_the_declared_input_size():
    """Backbones with a patch embedding are probed at their img_size (Swin
    refuses smaller maps than its windows), others at 64 px."""
    register_all_modules()
    swin = MODELS.build(dict(
        type='SwinTransformer', arch='tiny', img_size=224,
        out_indices=(2, 3)))
    assert probe_size(swin) == (224, 224)
    assert probe_size(MODELS.build(dict(type='ConvNeXt', arch='atto'))) == (
        64, 64)
