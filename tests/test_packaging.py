# Copyright (c) samix_mm contributors. All rights reserved.
"""setup.py's extras: ``pip install -e .[optional]`` brings the packages
that mmengine's TensorBoard and W&B visualizer backends import."""
import os.path as osp
import runpy

import setuptools

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_optional_extra_holds_the_vis_backend_packages(monkeypatch):
    kwargs = {}
    monkeypatch.setattr(setuptools, 'setup', lambda **kw: kwargs.update(kw))
    monkeypatch.chdir(ROOT)
    runpy.run_path(osp.join(ROOT, 'setup.py'))
    # TensorboardVisBackend imports torch.utils.tensorboard (tensorboard),
    # WandbVisBackend imports wandb
    assert kwargs['extras_require']['optional'] == ['tensorboard', 'wandb']
