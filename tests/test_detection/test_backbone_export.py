# Copyright (c) samix_mm contributors. All rights reserved.
"""Backbone export: encoder choice, layouts, checks and the tool's errors."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from samix_mm.converters.backbone_export import (C4_PREFIXES,
                                                 export_backbone,
                                                 infer_resnet_depth)
from samix_mm.utils import safe_load

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'model_converters'))
import extract_backbone  # noqa: E402


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory) -> str:
    """A real checkpoint of tools/train.py: the tiny SAMix config, 1 epoch
    (ResNet_CIFAR-18, base_channels=16)."""
    work_dir = tmp_path_factory.mktemp('tiny_samix')
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    args = [
        sys.executable, 'tools/train.py', 'tests/data/samix_tiny_synthetic.py',
        '--work-dir', str(work_dir), '--cfg-options',
        'train_dataloader.dataset.num_samples=32', 'train_cfg.max_epochs=1'
    ]
    proc = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return str(work_dir / 'epoch_1.pth')


def test_momentum_and_online_take_their_own_encoder(tiny_checkpoint):
    checkpoint = safe_load(tiny_checkpoint)
    state = checkpoint['state_dict']
    momentum, _ = export_backbone(checkpoint, source=tiny_checkpoint)
    online, _ = export_backbone(checkpoint, encoder='online')
    key = 'layer3.1.conv2.weight'
    # one epoch of SGD + EMA: the two encoders differ
    assert not torch.equal(state[f'backbone.{key}'],
                           state[f'backbone_k.{key}'])
    assert torch.equal(momentum['state_dict'][key], state[f'backbone_k.{key}'])
    assert torch.equal(online['state_dict'][key], state[f'backbone.{key}'])
    # BN statistics come along: the momentum encoder keeps its own
    assert torch.equal(momentum['state_dict']['bn1.running_mean'],
                       state['backbone_k.bn1.running_mean'])
    num_keys = sum(k.startswith('backbone_k.') for k in state)
    assert len(momentum['state_dict']) == num_keys
    assert 'conv1.weight' in momentum['state_dict']
    assert not any(
        k.startswith(('backbone', 'k.', 'q.')) for k in momentum['state_dict'])
    assert momentum['meta']['encoder'] == 'momentum'
    assert momentum['meta']['prefix'] == 'backbone_k.'
    assert momentum['meta']['source'] == tiny_checkpoint
    assert momentum['meta']['epoch'] == 1
    assert infer_resnet_depth(momentum['state_dict']) == 18


def test_tool_writes_a_loadable_backbone(tiny_checkpoint, tmp_path, capsys):
    out = str(tmp_path / 'sub' / 'backbone.pth')
    extract_backbone.main([tiny_checkpoint, out])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith('[samix_mm] OK: wrote')
    assert 'backbone_k.' in line and 'ResNet-18' in line
    saved = safe_load(out)
    assert saved['meta']['layout'] == 'plain'
    # the backbone of the tiny config loads it strictly
    from mmpretrain.models import ResNet_CIFAR
    backbone = ResNet_CIFAR(depth=18, base_channels=16)
    backbone.load_state_dict(saved['state_dict'], strict=True)


def test_c4_layout_splits_res5_into_the_shared_head(r50_checkpoint):
    checkpoint = safe_load(r50_checkpoint)
    state = checkpoint['state_dict']
    out, summary = export_backbone(checkpoint, layout='mmdet-c4')
    weights = out['state_dict']
    backbone, shared_head = C4_PREFIXES
    assert sum(k.startswith(backbone) for k in weights) == 258
    assert sum(k.startswith(shared_head) for k in weights) == 60
    assert all(
        k.startswith(shared_head + 'layer4.') for k in weights
        if not k.startswith(backbone))
    assert torch.equal(weights['backbone.layer1.0.conv1.weight'],
                       state['backbone_k.layer1.0.conv1.weight'])
    assert torch.equal(weights['roi_head.shared_head.layer4.2.conv3.weight'],
                       state['backbone_k.layer4.2.conv3.weight'])
    assert 'no missing or unexpected keys' in summary


def test_fpn_layout_is_the_plain_torchvision_layout(r50_checkpoint):
    checkpoint = safe_load(r50_checkpoint)
    fpn, _ = export_backbone(checkpoint, layout='mmdet-fpn')
    plain, _ = export_backbone(checkpoint, layout='plain')
    assert fpn['state_dict'].keys() == plain['state_dict'].keys()
    assert len(fpn['state_dict']) == 318


def test_checkpoint_without_backbone_is_refused(tmp_path):
    path = str(tmp_path / 'head_only.pth')
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2, 2)}), path)
    with pytest.raises(SystemExit) as error:
        extract_backbone.main([path, str(tmp_path / 'out.pth')])
    message = str(error.value)
    assert f'no `backbone.`/`backbone_k.` keys in {path}' in message
    assert 'is it a samix_mm checkpoint?' in message
    assert not osp.exists(tmp_path / 'out.pth')


def test_missing_encoder_names_the_other_one():
    checkpoint = dict(state_dict={'backbone.conv1.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='pass --encoder online'):
        export_backbone(checkpoint, encoder='momentum')


def test_depth_mismatch_names_both_depths(tiny_checkpoint, r50_checkpoint,
                                          tmp_path):
    # mmdet layouts target the ResNet-50 of the detection configs
    with pytest.raises(SystemExit,
                       match='ResNet-18 backbone but the '
                       'target is ResNet-50; pass --depth 18'):
        extract_backbone.main([
            tiny_checkpoint,
            str(tmp_path / 'a.pth'), '--layout', 'mmdet-fpn'
        ])
    with pytest.raises(ValueError,
                       match='ResNet-50 backbone but the '
                       'target is ResNet-101'):
        export_backbone(safe_load(r50_checkpoint),
                        layout='mmdet-c4',
                        depth=101)


def test_cifar_stem_does_not_fit_mmdet(tiny_checkpoint):
    with pytest.raises(ValueError,
                       match=r'mis-shaped \d+ keys '
                       r'\(conv1\.weight.*use --layout plain'):
        export_backbone(safe_load(tiny_checkpoint),
                        layout='mmdet-fpn',
                        depth=18)
