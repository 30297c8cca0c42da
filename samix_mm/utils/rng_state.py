# Copyright (c) samix_mm contributors. All rights reserved.
"""Save and restore the random states of python, numpy and torch."""
import random

import numpy as np
import torch


def get_rng_state() -> dict:
    """The random states of python, numpy, torch (and CUDA) as plain data.

    Plain lists and tensors only, so the state can be stored in a
    checkpoint that loads with ``weights_only=True``.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and, where CUDA is
        available, ``cuda`` (one state per device).
    """
    version, mt_state, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state = dict(
        python=[version, list(mt_state), gauss],
        numpy=[name, keys.tolist(), pos, has_gauss, cached],
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Set the random states saved by :func:`get_rng_state`.

    Args:
        state (dict): A :func:`get_rng_state` result.
    """
    version, mt_state, gauss = state['python']
    random.setstate((version, tuple(mt_state), gauss))
    name, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state(
        (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if torch.cuda.is_available() and 'cuda' in state:
        for device, cuda_state in enumerate(
                state['cuda'][:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, device)
