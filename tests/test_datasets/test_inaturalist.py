# Copyright (c) samix_mm contributors. All rights reserved.
import json

import cv2
import numpy as np
import pytest

from samix_mm.datasets import INaturalist


def make_inat(root, drop_annotation=False, bad_category=False):
    # category ids are sparse and unsorted, as labels must not depend on it
    categories = [
        dict(id=42, name='Abies concolor', supercategory='Plantae'),
        dict(id=7, name='Aix sponsa', supercategory='Aves')
    ]
    images, annotations = [], []
    for i, cat in enumerate([7, 42, 7]):
        name = f'train_val2018/Aves/{cat}/{i}.jpg'
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / name), np.zeros((10, 12, 3), np.uint8))
        images.append(dict(id=100 + i, file_name=name, width=12, height=10))
        annotations.append(dict(id=i, image_id=100 + i, category_id=cat))
    if drop_annotation:
        annotations.pop(1)
    if bad_category:
        annotations[0]['category_id'] = 3
    (root / 'train2018.json').write_text(
        json.dumps(
            dict(
                images=images, annotations=annotations,
                categories=categories)))
    return root


PIPELINE = [dict(type='LoadImageChecked'), dict(type='PackInputs')]


def test_loads_json_with_contiguous_labels(tmp_path):
    ds = INaturalist(
        str(make_inat(tmp_path)), 'train2018.json', pipeline=PIPELINE)
    assert len(ds) == 3
    assert ds.metainfo['classes'] == ('Aix sponsa', 'Abies concolor')
    assert list(ds.get_gt_labels()) == [0, 1, 0]
    assert tuple(ds[1]['inputs'].shape) == (3, 10, 12)


def test_missing_annotation_file(tmp_path):
    with pytest.raises(ValueError, match='annotation file .* not found'):
        INaturalist(str(tmp_path), 'val2018.json')


def test_image_without_annotation(tmp_path):
    root = make_inat(tmp_path, drop_annotation=True)
    with pytest.raises(ValueError, match='image 101 .* has no annotation'):
        INaturalist(str(root), 'train2018.json')


def test_unknown_category(tmp_path):
    root = make_inat(tmp_path, bad_category=True)
    with pytest.raises(ValueError, match='category_id 3'):
        INaturalist(str(root), 'train2018.json')


def test_test_json_without_labels(tmp_path):
    (tmp_path /
     'test2018.json').write_text(json.dumps(dict(images=[], categories=[])))
    with pytest.raises(ValueError, match="lacks \\['annotations'\\]"):
        INaturalist(str(tmp_path), 'test2018.json')
