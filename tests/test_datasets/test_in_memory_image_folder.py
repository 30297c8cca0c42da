# Copyright (c) samix_mm contributors. All rights reserved.
import os

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose

from samix_mm.datasets import ImageFolder, InMemoryImageFolder
from samix_mm.datasets.transforms import LoadImageChecked
from samix_mm.registry import DATASETS
from samix_mm.utils import register_all_modules

TRAIN = [
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]


@pytest.fixture(autouse=True)
def registered():
    register_all_modules()  # PadBorder is samix_mm's


def make_tree(root, classes=('cat', 'dog', 'emu'), per_class=3,
              split='train', size=8):
    rng = np.random.default_rng(0)
    for name in classes:
        folder = root / split / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            img = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            cv2.imwrite(str(folder / f'{i}.jpg'), img)
    return root


def test_serves_what_the_loader_would_decode(tmp_path):
    """Same files, labels and pixels as ImageFolder + LoadImageChecked."""
    make_tree(tmp_path)
    ref = ImageFolder(data_root=str(tmp_path))
    load = LoadImageChecked()
    ds = InMemoryImageFolder(data_root=str(tmp_path), decode_threads=2)
    assert len(ds) == len(ref) == 9
    assert ds.metainfo['classes'] == ('cat', 'dog', 'emu')
    assert list(ds.get_gt_labels()) == list(ref.get_gt_labels())
    assert ds.images.shape == (9, 8, 8, 3) and ds.images.dtype == np.uint8
    for i in range(len(ds)):
        info, want = ds.get_data_info(i), load(ref.get_data_info(i))
        assert info['img_path'] == want['img_path']
        np.testing.assert_array_equal(info['img'], want['img'])
        assert info['img_shape'] == info['ori_shape'] == (8, 8)


def test_get_data_info_hands_out_a_copy(tmp_path):
    make_tree(tmp_path)
    ds = InMemoryImageFolder(data_root=str(tmp_path))
    before = ds.images[4].copy()
    ds.get_data_info(4)['img'][:] = 0
    np.testing.assert_array_equal(ds.images[4], before)


def test_built_from_config_with_a_pipeline(tmp_path):
    make_tree(tmp_path)
    ds = DATASETS.build(dict(type='InMemoryImageFolder',
                             data_root=str(tmp_path), pipeline=TRAIN))
    item = ds[5]
    assert tuple(item['inputs'].shape) == (3, 8, 8)
    assert item['data_samples'].gt_label.item() == 1


def test_cache_is_written_once_and_mapped(tmp_path, monkeypatch):
    make_tree(tmp_path / 'data')
    cache = tmp_path / 'cache'
    first = InMemoryImageFolder(data_root=str(tmp_path / 'data'),
                                cache_dir=str(cache))
    assert os.listdir(cache) == [os.path.basename(first.cache_file)]
    assert first.cache_file.endswith('.npy')

    def no_decode(*args):
        raise AssertionError('decoded again')

    monkeypatch.setattr(InMemoryImageFolder, '_decode_all', no_decode)
    again = InMemoryImageFolder(data_root=str(tmp_path / 'data'),
                                cache_dir=str(cache), pipeline=TRAIN)
    assert isinstance(again.images, np.memmap)
    np.testing.assert_array_equal(again.images, first.images)
    Compose(TRAIN)(again.get_data_info(0))  # the mapped pages stay intact
    # another file list (one more image) is another cache file
    monkeypatch.undo()
    cv2.imwrite(str(tmp_path / 'data' / 'train' / 'dog' / 'x.jpg'),
                np.zeros((8, 8, 3), np.uint8))
    grown = InMemoryImageFolder(data_root=str(tmp_path / 'data'),
                                cache_dir=str(cache))
    assert len(grown) == 10 and len(os.listdir(cache)) == 2


def test_indices_keep_images_and_labels_together(tmp_path):
    make_tree(tmp_path)
    full = InMemoryImageFolder(data_root=str(tmp_path))
    part = InMemoryImageFolder(data_root=str(tmp_path))
    part = part.get_subset([7, 2])
    for i, j in ((0, 7), (1, 2)):
        a, b = part.get_data_info(i), full.get_data_info(j)
        assert a['gt_label'] == b['gt_label']
        np.testing.assert_array_equal(a['img'], b['img'])


def test_undecodable_file_is_named(tmp_path):
    make_tree(tmp_path)
    (tmp_path / 'train' / 'dog' / 'bad.jpg').write_bytes(b'not a jpeg' * 9)
    with pytest.raises(ValueError, match='cannot decode image .*bad.jpg') \
            as err:
        InMemoryImageFolder(data_root=str(tmp_path))
    assert '\n' not in str(err.value)


def test_images_of_another_size_are_named(tmp_path):
    make_tree(tmp_path)
    cv2.imwrite(str(tmp_path / 'train' / 'emu' / 'big.jpg'),
                np.zeros((12, 10, 3), np.uint8))
    with pytest.raises(ValueError, match='big.jpg is 10x12') as err:
        InMemoryImageFolder(data_root=str(tmp_path))
    assert 'one size' in str(err.value)


def test_folder_checks_of_image_folder_apply(tmp_path):
    with pytest.raises(ValueError, match="no folder 'train'"):
        InMemoryImageFolder(data_root=str(tmp_path))
