# Copyright (c) samix_mm contributors. All rights reserved.
"""The detection configs inherit mmdet's, build, and load the converted
SAMix backbone with every tensor in place."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from samix_mm.utils import safe_load

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(ROOT, 'configs', 'detection')
REAL = [
    'faster-rcnn_r50-c4_8xb2-24k_voc0712.py',
    'faster-rcnn_r50-fpn_8xb2-1x_voc0712.py',
    'mask-rcnn_r50-c4_8xb2-1x_coco.py',
    'mask-rcnn_r50-fpn_8xb2-1x_coco.py',
]
SYNTHETIC = [
    'faster-rcnn_r50-c4_synthetic-voc.py',
    'mask-rcnn_r50-fpn_synthetic-coco.py',
]
# the SAMix pre-training of the demo (configs/samix/)
PRETRAIN_DEMO = osp.join(ROOT, 'configs', 'samix',
                         'samix_resnet50_1xb16-1e_synthetic-shapes.py')


def pretrained_inits(model_cfg: dict) -> list:
    """Every ``Pretrained`` init_cfg inside a model config."""
    found = []
    for value in model_cfg.values():
        if isinstance(value, dict):
            init = value.get('init_cfg')
            if isinstance(init, dict) and init.get('type') == 'Pretrained':
                found.append(init)
            found += pretrained_inits(value)
    return found


def is_c4(cfg: Config) -> bool:
    return cfg.model.roi_head.get('shared_head') is not None


def test_every_config_is_tested():
    names = sorted(f for f in os.listdir(CFG_DIR) if f.endswith('.py'))
    assert names == sorted(REAL + SYNTHETIC)


def test_demo_pretraining_makes_a_convertible_resnet50():
    from samix_mm.converters import export_backbone
    from samix_mm.registry import MODELS
    from samix_mm.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(PRETRAIN_DEMO)
    assert cfg.default_scope == 'samix_mm'
    assert cfg.train_dataloader.dataset.img_size == 64
    model = MODELS.build(cfg.model)
    out, summary = export_backbone(dict(state_dict=model.state_dict()),
                                   layout='mmdet-c4')
    assert 'ResNet-50' in summary and len(out['state_dict']) == 318


@pytest.mark.parametrize('name', REAL + SYNTHETIC)
def test_config_inherits_mmdet_and_wires_pretrained(name):
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    assert cfg.default_scope == 'mmdet'
    assert 'samix_mm' in cfg.custom_imports.imports
    assert not cfg.custom_imports.allow_failed_imports
    inits = pretrained_inits(cfg.model)
    # C4: backbone + shared head, each with its prefix; FPN: backbone only
    assert [
        i.get('prefix') for i in inits
    ] == (['backbone.', 'roi_head.shared_head.'] if is_c4(cfg) else [None])
    assert {i.checkpoint for i in inits} == {cfg.pretrained}
    # torchvision-style weights: RGB input, ImageNet mean and std
    pre = cfg.model.data_preprocessor
    assert pre.bgr_to_rgb and pre.mean == [123.675, 116.28, 103.53]
    assert pre.std == [58.395, 57.12, 57.375]
    assert cfg.model.backbone.style == 'pytorch'
    assert cfg.model.backbone.frozen_stages == -1
    norm = 'BN' if name in SYNTHETIC else 'SyncBN'
    assert cfg.model.backbone.norm_cfg.type == norm
    assert cfg.default_hooks.safe_checkpoint.type.endswith(
        'SafeCheckpointHook')


def test_voc_c4_follows_the_transfer_protocol():
    cfg = Config.fromfile(osp.join(CFG_DIR, REAL[0]))
    assert cfg.train_cfg.max_iters == 24000
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 100)
    assert steps.milestones == [18000, 22000]
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16
    shared_head = cfg.model.roi_head.shared_head
    assert shared_head.norm_cfg.type == 'SyncBN' and not shared_head.norm_eval
    sizes = [s[1] for s in cfg.train_pipeline[2].scales]
    assert sizes == list(range(480, 801, 32))
    assert cfg.test_pipeline[1].scale == (1333, 800)
    assert cfg.val_evaluator.type == 'VOCMetric'


def test_voc0712_train_set_concatenates(voc_root):
    """The real 07+12 train set builds into one metainfo dict."""
    os.symlink(osp.join(voc_root, 'VOC2007'), osp.join(voc_root, 'VOC2012'))
    from mmdet.registry import DATASETS
    cfg = Config.fromfile(osp.join(CFG_DIR, REAL[0]))
    for dataset in cfg.train_dataloader.dataset.datasets:
        dataset.data_root = voc_root + '/'
        dataset.metainfo = dict(classes=('circle', 'square', 'triangle',
                                         'cross'))
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    os.remove(osp.join(voc_root, 'VOC2012'))
    assert len(dataset) == 12  # 6 trainval images, twice
    assert isinstance(dataset.metainfo, dict)
    assert dataset.metainfo['classes'][0] == 'circle'


@pytest.mark.parametrize('name', REAL)
def test_detector_loads_the_converted_backbone(name, converted):
    from mmdet.registry import MODELS
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    layout = 'mmdet-c4' if is_c4(cfg) else 'mmdet-fpn'
    for init in pretrained_inits(cfg.model):
        init.checkpoint = converted[layout]
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    c4 = layout == 'mmdet-c4'
    # (key prefix in the file, module, a tensor to watch)
    parts = [('backbone.' if c4 else '', model.backbone, 'conv1.weight')]
    if c4:
        parts.append(('roi_head.shared_head.', model.roi_head.shared_head,
                      'layer4.0.conv2.weight'))
    before = [part.state_dict()[probe].clone() for _, part, probe in parts]
    model.init_weights()
    expected = safe_load(converted[layout])['state_dict']
    for (prefix, part, probe), old in zip(parts, before):
        state = part.state_dict()
        assert not torch.equal(old, state[probe])
        assert torch.equal(state[probe], expected[prefix + probe])
        # every tensor of the part comes from the file
        for key, value in state.items():
            assert torch.equal(value, expected[prefix + key]), key
    # and every tensor of the file went somewhere
    assert len(expected) == sum(len(p.state_dict()) for _, p, _ in parts)
