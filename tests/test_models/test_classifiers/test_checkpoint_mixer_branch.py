# Copyright (c) samix_mm contributors. All rights reserved.
"""checkpoint_mixer_branch: less memory, the same training (by value)."""
import copy
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CFG = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')


def train(checkpoint_mixer_branch, accumulative_counts=1, steps=3):
    cfg = copy.deepcopy(Config.fromfile(CFG).model.to_dict())
    cfg['checkpoint_mixer_branch'] = checkpoint_mixer_branch
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    optim = OptimWrapper(torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4),
        accumulative_counts=accumulative_counts)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        inputs = torch.rand(8, 3, 32, 32, generator=g) * 255
        samples = [DataSample().set_gt_label(i % 10) for i in range(8)]
        model.train_step(dict(inputs=list(inputs), data_samples=samples),
                         optim)
        model.momentum_update()
    return model


@pytest.mark.parametrize('accumulative_counts', [1, 2])
def test_same_parameters_and_buffers_after_steps(accumulative_counts):
    plain = train(False, accumulative_counts)
    ckpt = train(True, accumulative_counts)
    for (name, a), b in zip(plain.state_dict().items(),
                            ckpt.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_only_the_mixer_branch_is_checkpointed(monkeypatch):
    """The momentum encoder's pass with a gradient is recomputed; the
    online passes and every no-grad pass are not."""
    import samix_mm.models.classifiers.samix_classifier as module
    calls = []
    real = module.checkpointed_forward
    monkeypatch.setattr(module, 'checkpointed_forward',
                        lambda m, x: calls.append(m) or real(m, x))
    model = train(True, steps=1)
    assert calls == [model.backbone_k]
    model.eval()
    with torch.no_grad():
        model.predict(torch.rand(2, 3, 32, 32))
    assert calls == [model.backbone_k]
