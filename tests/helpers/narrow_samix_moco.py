# Copyright (c) samix_mm contributors. All rights reserved.
"""The narrow SAMixMoCo the self-supervised tests build, and two helpers.

A ResNet-18 of base width 16 (stage 3: 64 channels, last stage: ``LAST``)
with 16-d keys and a queue of 16, from the CIFAR SAMix-MoCo model base.
"""
import copy
import os.path as osp
from typing import Iterable, Union

import torch
from mmengine import Config
from torch import nn

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = Config.fromfile(
    osp.join(ROOT, 'configs', '_base_', 'models',
             'samix-mocov2_resnet18_cifar.py')).model
NUM, SIZE, FEAT, QUEUE = 4, 32, 16, 16
LAST = 128  # channels of the narrow ResNet-18's last stage


def model_cfg(**overrides) -> dict:
    """The narrow model's config, ``overrides`` set at its top level."""
    cfg = copy.deepcopy(BASE.to_dict())
    cfg['backbone'].update(base_channels=16)
    cfg['neck'].update(in_channels=LAST, hid_channels=64, out_channels=FEAT)
    cfg['mixer'].update(in_channels=64, value_neck_cfg=dict(
        hidden_channels=16, dropout=0.))
    cfg.update(feat_dim=FEAT, queue_len=QUEUE)
    cfg.update(overrides)
    return cfg


@torch.no_grad()
def perturb_(modules: Union[nn.Module, Iterable[nn.Module]], seed: int,
             scale: float = 0.05) -> None:
    """Add seeded noise to every parameter (so a momentum copy differs
    from its online module)."""
    if isinstance(modules, nn.Module):
        modules = [modules]
    g = torch.Generator().manual_seed(seed)
    for module in modules:
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))


def gap(x: torch.Tensor) -> torch.Tensor:
    """Global average pooling of ``(N, C, H, W)`` maps to ``(N, C)``."""
    return x.mean(dim=(2, 3))


def narrow_run_overrides(**more) -> dict:
    """``Config.merge_from_dict`` keys that shrink a built-in-data SSL demo
    config to the narrow model for a short run in the test process (queue
    of 32, no loader workers, no checkpoints), plus ``more``."""
    return {
        'model.backbone.base_channels': 16,
        'model.neck.in_channels': LAST,
        'model.neck.hid_channels': 64,
        'model.mixer.in_channels': 64,
        'model.mixer.value_neck_cfg.hidden_channels': 16,
        'model.queue_len': 32,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'default_hooks.checkpoint': None,
        **more
    }
