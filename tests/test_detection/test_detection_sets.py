# Copyright (c) samix_mm contributors. All rights reserved.
"""Generated detection sets: scenes, VOC and COCO files as mmdet reads them.
"""
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from pycocotools.coco import COCO

from samix_mm.datasets.detection import (detection_classes, iter_scenes,
                                         mask_to_box, render_scene)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'misc'))
import make_detection_data  # noqa: E402

CLASSES = detection_classes()


def scenes(size):
    """The 8 scenes of the conftest sets."""
    return list(iter_scenes(8, size, 0, CLASSES))


def test_scene_objects_are_disjoint_tight_and_reproducible():
    for seed in range(20):
        img, objects = render_scene(np.random.default_rng(seed), CLASSES, 96)
        again, _ = render_scene(np.random.default_rng(seed), CLASSES, 96)
        assert np.array_equal(img, again)
        assert img.shape == (96, 96, 3) and img.dtype == np.uint8
        assert 1 <= len(objects) <= 3
        cover = sum(mask.astype(int) for _, mask in objects)
        assert cover.max() == 1  # no overlap: every mask is fully visible
        for label, mask in objects:
            x0, y0, x1, y1 = mask_to_box(mask)
            assert mask[y0:y1 + 1, x0:x1 + 1].sum() == mask.sum()
            assert mask[y0].any() and mask[y1].any()
            assert mask[:, x0].any() and mask[:, x1].any()
            assert 0 <= label < len(CLASSES)
            # the object is painted flat on the image
            assert len(np.unique(img[mask.astype(bool)], axis=0)) == 1


def test_voc_set_reads_back_in_mmdet(voc_root):
    from mmdet.datasets import VOCDataset
    dataset = VOCDataset(data_root=voc_root,
                         ann_file='VOC2007/ImageSets/Main/trainval.txt',
                         data_prefix=dict(sub_data_root='VOC2007/'),
                         metainfo=dict(classes=CLASSES))
    assert len(dataset) == 6
    for info, (i, img, objects) in zip(dataset.data_list, scenes(96)):
        assert info['img_id'] == f'{i:06d}'
        assert osp.isfile(info['img_path'])
        assert (info['height'], info['width']) == (96, 96)
        # mmdet turns VOC's 1-based boxes back into our 0-based ones
        assert [d['bbox'] for d in info['instances']
                ] == [list(mask_to_box(m)) for _, m in objects]
        assert [d['bbox_label']
                for d in info['instances']] == [label for label, _ in objects]
    with open(osp.join(voc_root, 'VOC2007/ImageSets/Main/test.txt')) as f:
        assert f.read().split() == ['000006', '000007']


def test_coco_set_reads_back_with_exact_masks(coco_root):
    coco = COCO(osp.join(coco_root, 'annotations/instances_val2017.json'))
    assert [c['name']
            for c in coco.loadCats(coco.getCatIds())] == list(CLASSES)
    for i, img, objects in scenes(96)[6:]:
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[i + 1]))
        assert len(anns) == len(objects)
        for ann, (label, mask) in zip(anns, objects):
            assert np.array_equal(coco.annToMask(ann), mask)
            assert ann['category_id'] == label + 1
            x0, y0, x1, y1 = mask_to_box(mask)
            assert ann['bbox'] == [x0, y0, x1 - x0 + 1, y1 - y0 + 1]
            assert ann['area'] == mask.sum()
    from mmdet.datasets import CocoDataset
    dataset = CocoDataset(data_root=coco_root,
                          ann_file='annotations/instances_train2017.json',
                          data_prefix=dict(img='train2017/'),
                          metainfo=dict(classes=CLASSES))
    assert len(dataset) == 6
    assert dataset.metainfo['classes'] == CLASSES


def test_tool_writes_coco_and_names_its_classes(tmp_path, capsys):
    make_detection_data.main([
        str(tmp_path), '--format', 'coco', '--num-images', '3', '--img-size',
        '64', '--seed', '1'
    ])
    out = capsys.readouterr().out
    assert 'train2017: 2, val2017: 1' in out
    assert 'classes: circle, square, triangle, cross' in out
    assert osp.isfile(tmp_path / 'annotations' / 'instances_train2017.json')
    assert osp.isfile(tmp_path / 'val2017' / '000002.jpg')


def test_tool_refuses_too_small_images(tmp_path):
    with pytest.raises(SystemExit,
                       match='img_size=32 is too small.*'
                       'set img_size >= 64'):
        make_detection_data.main([str(tmp_path), '--img-size', '32'])


@pytest.mark.parametrize('name,missing', [
    ('faster-rcnn_r50-c4_synthetic-voc.py',
     'VOC2007/ImageSets/Main/trainval.txt'),
    ('mask-rcnn_r50-fpn_synthetic-coco.py',
     'annotations/instances_train2017.json'),
])
def test_missing_annotation_file_is_named(name, missing, tmp_path):
    """A data_root without generated data fails at once, naming the file."""
    from mmdet.registry import DATASETS
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'detection', name))
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = str(tmp_path) + '/'
    with DefaultScope.overwrite_default_scope('mmdet'), pytest.raises(
            FileNotFoundError, match=missing):
        DATASETS.build(dataset)
