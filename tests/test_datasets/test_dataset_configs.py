# Copyright (c) samix_mm contributors. All rights reserved.
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine import Config

from samix_mm.registry import DATASETS, TRANSFORMS
from samix_mm.utils import register_all_modules

CONFIG_DIR = Path(__file__).parents[2] / 'configs' / '_base_' / 'datasets'
CONFIGS = sorted(CONFIG_DIR.glob('*.py'))


def test_configs_exist():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_loads(path):
    cfg = Config.fromfile(str(path))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'val_evaluator', 'test_evaluator', 'data_preprocessor'):
        assert key in cfg, f'{path.name} lacks {key}'
    assert len(cfg.data_preprocessor.mean) == 3
    assert cfg.data_preprocessor.num_classes > 1
    register_all_modules()
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None, dataset.type
        for transform in dataset.pipeline:
            TRANSFORMS.build(transform)


def _build_train(cfg):
    register_all_modules()
    return DATASETS.build(cfg.train_dataloader.dataset)


def test_build_synthetic_shapes():
    cfg = Config.fromfile(str(CONFIG_DIR / 'synthetic_shapes_bs64.py'))
    ds = _build_train(cfg)
    assert len(ds) == 2500
    assert tuple(ds[0]['inputs'].shape) == (3, 32, 32)


def test_build_cifar10_folder(tmp_path, monkeypatch):
    for split in ('train', 'test'):
        for name in ('airplane', 'automobile'):
            folder = tmp_path / split / name
            folder.mkdir(parents=True)
            cv2.imwrite(str(folder / '0.jpg'), np.zeros((32, 32, 3), np.uint8))
    monkeypatch.delenv('DATA_ROOT', raising=False)
    cfg = Config.fromfile(str(CONFIG_DIR / 'cifar10_folder_bs100.py'))
    assert cfg.train_dataloader.dataset.data_root == 'data/cifar10-jpg'
    monkeypatch.chdir(tmp_path)  # no data/cifar10-jpg here
    with pytest.raises(ValueError, match='is not a directory'):
        _build_train(cfg)
    cfg.train_dataloader.dataset.data_root = ''
    with pytest.raises(ValueError, match='data_root is not set'):
        _build_train(cfg)
    cfg.train_dataloader.dataset.data_root = str(tmp_path)
    ds = _build_train(cfg)
    assert len(ds) == 2
    assert tuple(ds[1]['inputs'].shape) == (3, 32, 32)
