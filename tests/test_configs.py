# Copyright (c) samix_mm contributors. All rights reserved.
"""Every classification config loads, builds its model and trains one step."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p and osp.sep + 'detection' + osp.sep not in p)


def drop_pretrained(cfg: dict) -> None:
    """No weight downloads in tests: remove Pretrained init_cfg entries."""
    for value in list(cfg.values()):
        if isinstance(value, dict):
            if value.get('init_cfg', {}) and 'Pretrained' in str(
                    value['init_cfg']):
                value.pop('init_cfg')
            drop_pretrained(value)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds_and_trains_one_step(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    if cfg.model.type not in ('SAMixClassifier', 'ImageClassifier',
                              'ManifoldMixClassifier',
                              'PuzzleMixClassifier',
                              'TransMixClassifier'):
        pytest.skip(f'{cfg.model.type} is covered by its own tests')
    if 'SAMixP' in str(cfg.model.get('train_cfg')):
        pytest.skip('needs an exported Mixer; covered by test_samix_p.py')
    model_cfg = cfg.model.to_dict()
    drop_pretrained(model_cfg)
    model_cfg.setdefault('data_preprocessor',
                         cfg.get('data_preprocessor', {}).to_dict())
    if model_cfg['type'] == 'ImageClassifier':
        model_cfg['data_preprocessor'].setdefault('type',
                                                  'ClsDataPreprocessor')
        if 'train_cfg' in model_cfg:
            model_cfg['data_preprocessor']['batch_augments'] = model_cfg.pop(
                'train_cfg')
    model = MODELS.build(model_cfg)
    model.train()
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim = build_optim_wrapper(model, optim_cfg)
    # small images keep it fast: 32 px for CIFAR stems, 64 px otherwise
    size = 32 if 'CIFAR' in cfg.model.backbone.type else 64
    # a backbone that declares its input size runs at it (Swin-T refuses
    # images whose stage maps are smaller than its 7x7 windows)
    size = cfg.model.backbone.get('img_size', size)
    head = model_cfg.get('head_one', model_cfg.get('head'))
    inputs = list(torch.randint(0, 256, (4, 3, size, size),
                                dtype=torch.uint8))
    samples = [DataSample().set_gt_label(i % head['num_classes'])
               for i in range(4)]
    log_vars = model.train_step(dict(inputs=inputs, data_samples=samples),
                                optim)
    assert torch.isfinite(log_vars['loss'])
