# Copyright (c) samix_mm contributors. All rights reserved.
"""Parameter-only EMA between online and momentum modules."""
from typing import Iterable, List, Optional, Tuple, Union

import torch
from torch import nn


@torch.no_grad()
def momentum_update_(pairs: Iterable[Tuple[nn.Module, nn.Module]],
                     momentum: float) -> None:
    """``θ_k ← m·θ_k + (1−m)·θ_q`` for every (online, momentum) pair.

    Only parameters are averaged; buffers (BN running statistics) are left
    alone, so a momentum encoder keeps the statistics of its own forwards.

    Args:
        pairs (Iterable[tuple[nn.Module, nn.Module]]): (online, momentum)
            modules of identical structure.
        momentum (float): The weight m kept by the momentum modules
            (SAMix/MoCo convention, e.g. 0.999); ``m >= 1`` does nothing.
    """
    if momentum >= 1:
        return
    params_q, params_k = [], []
    for online, ema in pairs:
        params_q.extend(online.parameters())
        params_k.extend(ema.parameters())
    torch._foreach_mul_(params_k, momentum)
    torch._foreach_add_(params_k, params_q, alpha=1 - momentum)


@torch.no_grad()
def copy_online_to_momentum_(pairs: Iterable[Tuple[nn.Module,
                                                   nn.Module]]) -> None:
    """Start every momentum module as an exact copy of its online module.

    Args:
        pairs (Iterable[tuple[nn.Module, nn.Module]]): (online, momentum).
    """
    for online, ema in pairs:
        ema.load_state_dict(online.state_dict())


def loads_whole_model(init_cfg: Optional[Union[dict, List[dict]]]) -> bool:
    """Whether a model's own ``init_cfg`` loads a checkpoint into all of it.

    A model-level ``Pretrained`` init (applied by mmengine after the children
    are initialised) restores the momentum modules from the checkpoint, so
    they must not be overwritten by copies of the online modules afterwards.
    To start from a checkpoint of the online network only, put ``Pretrained``
    on the backbone instead.

    Args:
        init_cfg (dict | list[dict], optional): The model's ``init_cfg``.

    Returns:
        bool: True if one of the configs is of type ``Pretrained``.
    """
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    return any(
        isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'
        for cfg in cfgs)
