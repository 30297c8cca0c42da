# Copyright (c) samix_mm contributors. All rights reserved.
"""The MoCo v2 views of every SSL dataset config, hue jitter included."""
import glob
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config

from samix_mm.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


# every dataset file (mocov2_views.py is the fragment they share)
@pytest.mark.parametrize('path', sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '_base_', 'datasets',
                                  'selfsup', '*.py'))
    if not p.endswith('mocov2_views.py')))
def test_mocov2_views_jitter_hue(path):
    """Runs under NumPy 2 with MoCo v2's hue 0.1 (mmcv's adjust_hue
    overflows there; torchvision's ColorJitter does not)."""
    register_all_modules()
    cfg = Config.fromfile(path)
    jitter = [t for step in cfg.view_pipeline if step.type == 'RandomApply'
              for t in step.transforms]
    assert [t.type for t in jitter] == [
        'NumpyToPIL', 'torchvision/ColorJitter', 'PILToNumpy']
    assert jitter[1].hue == 0.1 and jitter[0].to_rgb and jitter[2].to_bgr
    size = next(step.scale for step in cfg.view_pipeline
                if step.type == 'RandomResizedCrop')
    views = Compose(cfg.view_pipeline)
    rng = np.random.default_rng(0)
    np.random.seed(0)
    for _ in range(6):
        img = rng.integers(0, 256, (size + 8, size + 8, 3), dtype=np.uint8)
        out = views(dict(img=img))['img']
        assert out.shape == (size, size, 3) and out.dtype == np.uint8
