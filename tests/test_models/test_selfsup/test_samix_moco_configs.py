# Copyright (c) samix_mm contributors. All rights reserved.
"""The self-supervised configs load and build (no data files needed)."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine import Config

from samix_mm.registry import DATASETS, HOOKS, MODELS, TRANSFORMS
from samix_mm.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
PRETRAIN = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'samix_moco', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'samix_moco', 'ablations', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'mocov2', '*.py')))
# the dataset files (mocov2_views.py is the fragment they share)
DATA = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '_base_',
                                            'datasets', 'selfsup', '*.py'))
              if not p.endswith('mocov2_views.py'))
register_all_modules()
BUILT = set()  # encoders already built: build each architecture once


def ids(paths):
    return [osp.relpath(p, ROOT) for p in paths]


@pytest.mark.parametrize('path', PRETRAIN, ids=ids(PRETRAIN))
def test_pretrain_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'samix_mm'
    assert cfg.data_preprocessor.type == 'SelfSupDataPreprocessor'
    assert cfg.train_dataloader.drop_last
    model = cfg.model
    arch = json.dumps([model.type] + [
        model.get(k, {}) for k in ('backbone', 'neck', 'mixer', 'mixer_loss')
    ], sort_keys=True)
    if arch not in BUILT:  # shape checks of the model at build time
        BUILT.add(arch)
        model = MODELS.build(cfg.model)
        assert model.queue.size(1) == cfg.model.queue_len
    hooks = [HOOKS.build(h) for h in cfg.get('custom_hooks', [])]
    hook_types = {type(h).__name__ for h in hooks}
    if cfg.model.type == 'SAMixMoCo':
        # the EMA runs in SAMixMomentumHook; without it nothing updates it
        assert 'SAMixMomentumHook' in hook_types
        cluster = cfg.model.mixer_loss.type == 'ClusterMixLoss'
        assert cluster == ('ClusterPseudoLabelHook' in hook_types)
        MODELS.build(cfg.model.mixer_loss)
    else:
        assert cfg.model.type == 'MoCo' and not hook_types


@pytest.mark.parametrize('path', DATA, ids=ids(DATA))
def test_selfsup_dataset_config(path):
    cfg = Config.fromfile(path)
    dataset = cfg.train_dataloader.dataset
    assert DATASETS.get(dataset.type) is not None
    for transform in dataset.pipeline:
        TRANSFORMS.build(transform)
    if dataset.type == 'SyntheticShapes':
        views = DATASETS.build(dataset)[0]['inputs']
        assert len(views) == 2 and tuple(views[0].shape) == (3, 32, 32)
        assert not torch.equal(views[0], views[1])
