# Copyright (c) samix_mm contributors. All rights reserved.
"""Shared data of the detection tests: a ResNet-50 SAMix checkpoint, its
converted backbones and tiny generated VOC and COCO sets."""
import datetime
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from samix_mm.converters import export_backbone
from samix_mm.datasets.detection import make_detection_set
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules, safe_load

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Side of the generated test images: small, so that R-50 steps are quick.
IMG_SIZE = 96


@pytest.fixture(autouse=True)
def keep_default_scope():
    """Runners of mmdet configs make ``mmdet`` the current default scope;
    give the next tests back the scope they had."""
    before = DefaultScope.get_current_instance()
    yield
    now = DefaultScope.get_current_instance()
    if before is not None and (now is None
                               or now.scope_name != before.scope_name):
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'{before.scope_name}-{stamp}',
                                  scope_name=before.scope_name)


@pytest.fixture
def img_size() -> int:
    """Side of the generated test images."""
    return IMG_SIZE


@pytest.fixture(scope='session')
def r50_checkpoint(tmp_path_factory) -> str:
    """A SAMixClassifier ResNet-50 saved like a samix_mm checkpoint.

    The online encoder is shifted by +1 so that it differs from the
    momentum encoder in every tensor.
    """
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/samix_resnet50_in1k.py'))
    model = MODELS.build(cfg.model)
    with torch.no_grad():
        for param in model.backbone.parameters():
            param.add_(1.0)
    path = str(tmp_path_factory.mktemp('r50') / 'samix_r50.pth')
    torch.save(dict(meta=dict(epoch=1, iter=8), state_dict=model.state_dict()),
               path)
    return path


@pytest.fixture(scope='session')
def converted(r50_checkpoint, tmp_path_factory) -> dict:
    """Layout name -> path of the converted momentum encoder."""
    out_dir = tmp_path_factory.mktemp('converted')
    checkpoint = safe_load(r50_checkpoint, map_location='cpu')
    paths = {}
    for layout in ('mmdet-c4', 'mmdet-fpn'):
        out, _ = export_backbone(checkpoint,
                                 layout=layout,
                                 source=r50_checkpoint)
        paths[layout] = str(out_dir / f'{layout}.pth')
        torch.save(out, paths[layout])
    return paths


@pytest.fixture(scope='session')
def voc_root(tmp_path_factory) -> str:
    """A generated VOC set: 8 images, 6 trainval and 2 test."""
    root = str(tmp_path_factory.mktemp('synthetic_voc'))
    make_detection_set(root, 'voc', num_images=8, img_size=IMG_SIZE)
    return root


@pytest.fixture(scope='session')
def coco_root(tmp_path_factory) -> str:
    """A generated COCO set: 8 images, 6 train and 2 val."""
    root = str(tmp_path_factory.mktemp('synthetic_coco'))
    make_detection_set(root, 'coco', num_images=8, img_size=IMG_SIZE)
    return root
