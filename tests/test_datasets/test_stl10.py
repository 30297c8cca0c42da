# Copyright (c) samix_mm contributors. All rights reserved.
"""STL10 on tiny generated binary files in the official format."""
import pickle

import numpy as np
import pytest
from mmengine import Config

from samix_mm.datasets import STL10
from samix_mm.registry import DATASETS
from samix_mm.utils import register_all_modules

SIZE = 96


def make_images(num, seed):
    """``(num, 96, 96, 3)`` RGB images with distinct rows and columns."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (num, SIZE, SIZE, 3), dtype=np.uint8)


def write_images(path, images):
    """Official layout: per image, R, G, B planes, each column-major."""
    images.transpose(0, 3, 2, 1).tofile(path)


@pytest.fixture
def root(tmp_path):
    parts = dict(train=(make_images(5, 0), [1, 2, 3, 10, 1]),
                 test=(make_images(3, 1), [4, 5, 6]),
                 unlabeled=(make_images(4, 2), None))
    for part, (images, labels) in parts.items():
        write_images(tmp_path / f'{part}_X.bin', images)
        if labels is not None:
            np.array(labels, np.uint8).tofile(tmp_path / f'{part}_y.bin')
    return tmp_path, parts


def test_splits_labels_and_pixel_layout(root):
    path, parts = root
    train = STL10(str(path), split='train')
    assert len(train) == 5 and train.metainfo['classes'][9] == 'truck'
    info = train.get_data_info(3)
    assert info['gt_label'] == 9  # label byte 10 -> class 9
    # decoded as mmcv loads an image: (H, W, 3) uint8 BGR
    np.testing.assert_array_equal(info['img'], parts['train'][0][3][...,
                                                                    ::-1])
    assert info['img'].flags['C_CONTIGUOUS']
    assert len(STL10(str(path), split='test')) == 3
    both = STL10(str(path), split='train+unlabeled')
    assert len(both) == 9
    last = both.get_data_info(8)
    assert 'gt_label' not in last
    np.testing.assert_array_equal(last['img'],
                                  parts['unlabeled'][0][3][..., ::-1])
    assert both.get_data_info(8)['sample_idx'] == 8


def test_pickles_without_the_memory_maps(root):
    path, _ = root
    ds = STL10(str(path), split='unlabeled')
    ds.get_data_info(0)
    assert ds._images  # mapped on first access
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._images == {}
    np.testing.assert_array_equal(clone.get_data_info(1)['img'],
                                  ds.get_data_info(1)['img'])


def test_truncated_and_mismatched_files(root):
    path, parts = root
    data = (path / 'train_X.bin').read_bytes()
    (path / 'train_X.bin').write_bytes(data[:-100])
    with pytest.raises(ValueError, match='truncated') as err:
        STL10(str(path), split='train')
    assert 'train_X.bin' in str(err.value) and '\n' not in str(err.value)
    write_images(path / 'train_X.bin', parts['train'][0][:4])
    with pytest.raises(ValueError, match='5 labels but its image file 4'):
        STL10(str(path), split='train')
    np.array([0, 1, 2], np.uint8).tofile(path / 'test_y.bin')
    with pytest.raises(ValueError, match='outside 1..10'):
        STL10(str(path), split='test')


def test_bad_arguments(root, tmp_path_factory):
    path, _ = root
    with pytest.raises(ValueError, match='split'):
        STL10(str(path), split='val')
    with pytest.raises(ValueError, match='not a folder'):
        STL10(str(path / 'missing'))
    empty = tmp_path_factory.mktemp('empty')
    with pytest.raises(ValueError, match='train_X.bin not found'):
        STL10(str(empty))


def test_configs_build(root):
    path, _ = root
    register_all_modules()
    cfg = Config.fromfile('configs/_base_/datasets/stl10_bs64.py')
    cfg.train_dataloader.dataset.data_root = str(path)
    sample = DATASETS.build(cfg.train_dataloader.dataset)[0]
    assert tuple(sample['inputs'].shape) == (3, SIZE, SIZE)
    assert int(sample['data_samples'].gt_label) == 0
    cfg = Config.fromfile(
        'configs/_base_/datasets/selfsup/stl10_mocov2_bs64.py')
    cfg.train_dataloader.dataset.data_root = str(path)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds) == 9
    views = ds[7]['inputs']  # an unlabelled image, two augmented views
    assert len(views) == 2 and tuple(views[0].shape) == (3, SIZE, SIZE)
