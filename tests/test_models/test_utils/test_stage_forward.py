# Copyright (c) samix_mm contributors. All rights reserved.
"""forward_to_stage: exactly the backbone's output 0, later stages not run,
the backbone restored afterwards."""
import pytest
import torch
from mmpretrain.models.backbones import (ConvNeXt, ResNet, SwinTransformer,
                                         VisionTransformer)
from torch import nn

from samix_mm.models.utils import forward_to_stage

VIT_ARCH = dict(embed_dims=32, num_layers=4, num_heads=2,
                feedforward_channels=64)


def vit(**kwargs):
    cfg = dict(arch=VIT_ARCH, img_size=32, patch_size=4, out_indices=(1, 3),
               out_type='featmap', final_norm=True, drop_rate=0.1,
               drop_path_rate=0.1)
    cfg.update(kwargs)
    return VisionTransformer(**cfg)


def swin():
    return SwinTransformer(
        arch=dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1]),
        img_size=64, patch_size=4, window_size=2, out_indices=(1, 3),
        drop_path_rate=0.1)


def convnext():
    return ConvNeXt(
        arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
        out_indices=(1, 3), gap_before_final_norm=False, drop_path_rate=0.1)


def resnet():
    return ResNet(depth=18, out_indices=(2, 3))


#: name: (builder, name of the stage list, input size)
BACKBONES = dict(vit=(vit, 'layers', 32), swin=(swin, 'stages', 64),
                 convnext=(convnext, 'stages', 64),
                 resnet=(resnet, 'res_layers', 64))


def build(name, seed=0):
    builder, list_name, size = BACKBONES[name]
    torch.manual_seed(seed)
    backbone = builder()
    backbone.init_weights()
    inputs = torch.randn(2, 3, size, size)
    return backbone, list_name, inputs


def stage_modules(backbone, list_name):
    """The stage modules of ``backbone`` (ResNets list their names)."""
    layers = getattr(backbone, list_name)
    return [getattr(backbone, m) if isinstance(m, str) else m for m in layers]


def assert_same(got, expected):
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert torch.equal(got, expected)


@pytest.mark.parametrize('name', list(BACKBONES))
def test_equals_full_forward_eval(name):
    backbone, _, inputs = build(name)
    backbone.eval()
    stage = backbone.out_indices[0]
    with torch.no_grad():
        expected = backbone(inputs)[0]
        got = forward_to_stage(backbone, inputs, stage)
    assert_same(got, expected)


@pytest.mark.parametrize('name', list(BACKBONES))
def test_equals_full_forward_train_same_seed(name):
    backbone, _, inputs = build(name)
    backbone.train()
    stage = backbone.out_indices[0]
    torch.manual_seed(1)
    expected = backbone(inputs)[0]
    torch.manual_seed(1)
    got = forward_to_stage(backbone, inputs, stage)
    assert_same(got, expected)


@pytest.mark.parametrize('out_type', ['featmap', 'cls_token', 'raw'])
@pytest.mark.parametrize('out_indices', [(1, 3), (0, 3), (3, )])
def test_vit_final_norm_rule_and_out_type(out_type, out_indices):
    """ln1 only after the last layer: not on a cut at layer 1, but on a
    'cut' at the last layer."""
    torch.manual_seed(0)
    backbone = vit(out_type=out_type, out_indices=out_indices)
    backbone.eval()
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = backbone(inputs)[0]
        got = forward_to_stage(backbone, inputs, out_indices[0])
    assert_same(got, expected)


def test_vit_without_final_norm():
    torch.manual_seed(0)
    backbone = vit(final_norm=False, out_indices=(3, ))
    backbone.eval()
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert_same(forward_to_stage(backbone, inputs, 3),
                    backbone(inputs)[0])
    assert backbone.final_norm is False


@pytest.mark.parametrize('name', list(BACKBONES))
def test_backbone_restored(name):
    backbone, list_name, inputs = build(name)
    layers = getattr(backbone, list_name)
    members = list(layers)
    out_indices = backbone.out_indices
    final_norm = getattr(backbone, 'final_norm', None)
    keys = list(backbone.state_dict())
    forward_to_stage(backbone, inputs, out_indices[0])
    assert getattr(backbone, list_name) is layers
    assert all(a is b for a, b in zip(getattr(backbone, list_name), members))
    assert len(getattr(backbone, list_name)) == len(members)
    assert backbone.out_indices is out_indices
    assert getattr(backbone, 'final_norm', None) is final_norm
    assert list(backbone.state_dict()) == keys
    # the full forward gives both outputs again
    assert len(backbone(inputs)) == 2


@pytest.mark.parametrize('name', list(BACKBONES))
def test_backbone_restored_after_error(name):
    backbone, list_name, inputs = build(name)
    layers = getattr(backbone, list_name)
    out_indices = backbone.out_indices
    stage = out_indices[0]

    def fail(*args):
        raise RuntimeError('boom')

    stage_modules(backbone, list_name)[stage].register_forward_hook(fail)
    with pytest.raises(RuntimeError, match='boom'):
        forward_to_stage(backbone, inputs, stage)
    assert getattr(backbone, list_name) is layers
    assert backbone.out_indices is out_indices
    assert getattr(backbone, 'final_norm', True) is True


@pytest.mark.parametrize('name', list(BACKBONES))
def test_later_stages_not_run(name):
    backbone, list_name, inputs = build(name)
    stage = backbone.out_indices[0]
    modules = stage_modules(backbone, list_name)
    calls = []
    for i, module in enumerate(modules):
        module.register_forward_hook(lambda *a, i=i: calls.append(i))
    if name == 'vit':
        backbone.ln1.register_forward_hook(lambda *a: calls.append('ln1'))
    forward_to_stage(backbone, inputs, stage)
    assert calls == list(range(stage + 1))


@pytest.mark.parametrize('name', list(BACKBONES))
def test_no_grad_and_grad(name):
    backbone, list_name, inputs = build(name)
    backbone.eval()
    stage = backbone.out_indices[0]
    with torch.no_grad():
        assert not forward_to_stage(backbone, inputs, stage).requires_grad
    out = forward_to_stage(backbone, inputs, stage)
    assert out.requires_grad
    out.sum().backward()
    modules = stage_modules(backbone, list_name)
    assert any(p.grad is not None for p in modules[stage].parameters())
    assert all(p.grad is None for p in modules[-1].parameters())
    # the same gradients as through the full forward's output 0
    got = {n: p.grad.clone() for n, p in backbone.named_parameters()
           if p.grad is not None}
    backbone.zero_grad(set_to_none=True)
    backbone(inputs)[0].sum().backward()
    expected = {n: p.grad for n, p in backbone.named_parameters()
                if p.grad is not None}
    assert got.keys() == expected.keys()
    for key, grad in got.items():
        assert torch.equal(grad, expected[key]), key


class OwnForward(VisionTransformer):
    """A subclass with its own forward: not cut, the full forward runs."""

    def forward(self, x):
        return tuple(o * 2 for o in super().forward(x))


def test_other_backbone_runs_full_forward():
    torch.manual_seed(0)
    backbone = OwnForward(arch=VIT_ARCH, img_size=32, patch_size=4,
                          out_indices=(1, 3), out_type='featmap')
    backbone.eval()
    inputs = torch.randn(2, 3, 32, 32)
    calls = []
    backbone.layers[-1].register_forward_hook(lambda *a: calls.append(1))
    with torch.no_grad():
        assert_same(forward_to_stage(backbone, inputs, 1),
                    backbone(inputs)[0])
    assert calls == [1, 1]

    plain = nn.Sequential(nn.Conv2d(3, 4, 1))
    plain.forward = lambda x: (x + 1, x)
    assert_same(forward_to_stage(plain, inputs, 0), inputs + 1)
