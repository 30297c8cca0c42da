# Copyright (c) samix_mm contributors. All rights reserved.
"""mmpretrain's PreciseBNHook in the SAMix configs: it re-estimates the
momentum encoder's BN statistics on clean training images and nothing
else."""
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch.nn.modules.batchnorm import _BatchNorm

from samix_mm.utils import register_all_modules


def bn_state(module):
    return {
        name: (m.running_mean.clone(), m.running_var.clone())
        for name, m in module.named_modules() if isinstance(m, _BatchNorm)
    }


def test_precise_bn_fixes_only_the_momentum_encoder(tmp_path):
    register_all_modules()
    cfg = Config.fromfile('tests/data/samix_tiny_synthetic.py')
    cfg.work_dir = str(tmp_path)
    hooks = [h for h in cfg.custom_hooks if h['type'] == 'PreciseBNHook']
    assert hooks and hooks[0]['priority'] == 'ABOVE_NORMAL'
    cfg.custom_hooks = [dict(hooks[0], num_samples=48, interval=1)]
    runner = Runner.from_cfg(cfg)
    model = runner.model
    hook = next(h for h in runner.hooks if type(h).__name__ ==
                'PreciseBNHook')
    with torch.no_grad():  # statistics that no clean image gives
        for m in model.backbone_k.modules():
            if isinstance(m, _BatchNorm):
                m.running_mean.fill_(5.)
                m.running_var.fill_(100.)
    online, mixer = bn_state(model.backbone), bn_state(model.mixer)
    hook._perform_precise_bn(runner)
    # every BN of the momentum encoder now holds batch statistics of the
    # clean (augmented, unmixed) training images ...
    stem = model.backbone_k.norm1
    assert stem.running_var.max() < 50 and stem.running_mean.abs().max() < 5
    for name, (mean, var) in bn_state(model.backbone_k).items():
        assert not torch.allclose(var, torch.full_like(var, 100.)), name
    # ... and the online encoder's and the Mixer's are untouched
    for before, module in ((online, model.backbone), (mixer, model.mixer)):
        for name, (mean, var) in bn_state(module).items():
            torch.testing.assert_close(mean, before[name][0])
            torch.testing.assert_close(var, before[name][1])
    # the stem's mean is the mean of its inputs over clean batches: another
    # batch of clean images lands near it (the corrupted value was 5)
    batch = next(iter(runner.train_loop.dataloader))
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        feat = model.backbone_k.conv1(data['inputs'])
    assert (feat.mean(dim=(0, 2, 3)) - stem.running_mean).abs().max() < 1.5
