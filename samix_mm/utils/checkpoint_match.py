# Copyright (c) samix_mm contributors. All rights reserved.
"""Refuse a checkpoint that does not belong to the model being evaluated."""
from typing import Dict

import torch
from torch import nn


def strip_module_prefix(
        state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The state dict with DDP's ``module.`` prefix removed from its keys.

    Args:
        state_dict (dict): Parameter and buffer names mapped to tensors.

    Returns:
        dict: A new dict; keys without the prefix are kept as they are.
    """
    return {(k[len('module.'):] if k.startswith('module.') else k): v
            for k, v in state_dict.items()}


def check_checkpoint_matches(model: nn.Module, state_dict: Dict[str,
                                                                torch.Tensor],
                             filename: str) -> None:
    """Raise a one-line ``ValueError`` if ``state_dict`` does not fit ``model``.

    Args:
        model (nn.Module): The (unwrapped) model.
        state_dict (dict): The checkpoint's ``state_dict``.
        filename (str): The checkpoint path, named in the error.
    """
    expected = model.state_dict()
    state_dict = strip_module_prefix(state_dict)
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    wrong_shape = sorted(
        k for k in set(expected) & set(state_dict)
        if tuple(expected[k].shape) != tuple(state_dict[k].shape))
    if not (missing or unexpected or wrong_shape):
        return
    parts = []
    for name, keys in (('missing', missing), ('unexpected', unexpected),
                       ('wrong shape', wrong_shape)):
        if keys:
            parts.append(f'{len(keys)} {name} (e.g. {keys[0]})')
    raise ValueError(
        f'checkpoint {filename} does not match the model of this config: '
        f'{"; ".join(parts)}; use the config the checkpoint was trained with')
