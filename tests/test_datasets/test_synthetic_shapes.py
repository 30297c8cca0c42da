# Copyright (c) samix_mm contributors. All rights reserved.
import numpy as np
import pytest

from samix_mm.datasets import SyntheticShapes
from samix_mm.datasets.synthetic_shapes import (SHAPES, render_background,
                                                render_sample)

TRAIN_PIPELINE = [
    dict(type='RandomCrop', crop_size=32, padding=4, padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]


def _images(ds, n=8):
    return [ds.get_data_info(i)['img'] for i in range(n)]


def test_same_seed_gives_identical_images():
    a = _images(SyntheticShapes(num_samples=8, seed=3))
    b = _images(SyntheticShapes(num_samples=8, seed=3))
    assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b))


def test_other_seed_and_test_split_give_other_images():
    base = _images(SyntheticShapes(num_samples=8, seed=0))
    other_seed = _images(SyntheticShapes(num_samples=8, seed=1))
    test = _images(SyntheticShapes(num_samples=8, seed=0, test_mode=True))
    for imgs in (other_seed, test):
        assert all(not np.array_equal(x, y) for x, y in zip(base, imgs))


def test_data_info_fields_and_metainfo():
    ds = SyntheticShapes(num_samples=12, num_classes=4, img_size=24)
    info = ds.get_data_info(5)
    assert info['img'].shape == (24, 24, 3)
    assert info['img'].dtype == np.uint8
    assert info['gt_mask'].shape == (24, 24)
    assert info['gt_mask'].dtype == np.uint8
    assert info['img_shape'] == info['ori_shape'] == (24, 24)
    assert info['sample_idx'] == 5 and info['gt_label'] == 1
    assert ds.metainfo['classes'] == ('circle', 'square', 'triangle', 'cross')
    np.testing.assert_array_equal(ds.get_object_mask(5), info['gt_mask'])


@pytest.mark.parametrize('shape', list(SHAPES))
def test_mask_is_exactly_the_drawn_object(shape):
    for key in range(5):
        img, mask = render_sample(np.random.default_rng(key), shape, 32)
        background = render_background(np.random.default_rng(key), 32)
        assert set(np.unique(mask)) == {0, 1}
        inside, outside = mask == 1, mask == 0
        # outside the mask the background is untouched ...
        np.testing.assert_array_equal(img[outside], background[outside])
        # ... inside it the object's single colour is drawn
        colours = np.unique(img[inside], axis=0)
        assert len(colours) == 1
        changed = np.any(img != background, axis=-1)
        assert changed[inside].mean() > .9


def test_masks_binary_and_non_empty_in_dataset():
    ds = SyntheticShapes(num_samples=24, num_classes=12, img_size=16)
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        mask = info['gt_mask']
        assert mask.sum() > 0 and set(np.unique(mask)) <= {0, 1}
        assert len(np.unique(info['img'][mask == 1], axis=0)) == 1


def test_labels_are_balanced():
    ds = SyntheticShapes(num_samples=1000, num_classes=10)
    counts = np.bincount(ds.get_gt_labels(), minlength=10)
    assert (counts == 100).all()
    assert ds.get_cat_ids(13) == [3]
    assert ds.get_data_info(13)['gt_label'] == 3


def test_generation_is_fast():
    import time
    ds = SyntheticShapes(num_samples=500)
    start = time.perf_counter()
    _images(ds, 500)
    assert time.perf_counter() - start < 2  # ~0.3 ms per image


def test_runs_through_mmpretrain_pipelines():
    train = SyntheticShapes(num_samples=4, pipeline=TRAIN_PIPELINE)
    test = SyntheticShapes(
        num_samples=4, test_mode=True, pipeline=[dict(type='PackInputs')])
    for ds in (train, test):
        item = ds[2]
        assert tuple(item['inputs'].shape) == (3, 32, 32)
        assert item['data_samples'].gt_label.item() == 2


@pytest.mark.parametrize('kwargs, key', [
    (dict(num_classes=1), 'num_classes'),
    (dict(num_classes=len(SHAPES) + 1), 'num_classes'),
    (dict(img_size=8), 'img_size'),
    (dict(num_samples=0), 'num_samples'),
    (dict(seed=-1), 'seed'),
])
def test_bad_arguments(kwargs, key):
    with pytest.raises(ValueError, match=key) as err:
        SyntheticShapes(**kwargs)
    assert '\n' not in str(err.value)
