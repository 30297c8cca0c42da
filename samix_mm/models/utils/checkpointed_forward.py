# Copyright (c) samix_mm contributors. All rights reserved.
"""Activation checkpointing that leaves BN statistics as one forward does."""
from contextlib import contextmanager, nullcontext
from typing import Iterator, List

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


@contextmanager
def _bn_statistics_frozen(bns: List[nn.modules.batchnorm._BatchNorm]
                          ) -> Iterator[None]:
    """BN layers normalise with batch statistics but do not update their
    running ones (momentum 0 keeps them bit-exact; the batch counter is put
    back)."""
    saved = [(bn.momentum, bn.num_batches_tracked.clone()
              if bn.num_batches_tracked is not None else None) for bn in bns]
    for bn in bns:
        bn.momentum = 0.
    try:
        yield
    finally:
        for bn, (momentum, tracked) in zip(bns, saved):
            bn.momentum = momentum
            if tracked is not None:
                bn.num_batches_tracked.copy_(tracked)


def checkpointed_forward(module: nn.Module, inputs: torch.Tensor):
    """``module(inputs)`` without keeping its activations for backward.

    The activations are recomputed during backward (torch's non-reentrant
    checkpointing, RNG and autocast state preserved), which trades one more
    forward of ``module`` for its activation memory. The gradient is the
    same as without checkpointing; the recomputation does not update the
    BN running statistics a second time, so buffers end as after one
    forward.

    Args:
        module (nn.Module): A module whose forward is deterministic given
            the RNG state (e.g. a frozen momentum encoder).
        inputs (Tensor): Its input, which needs a gradient.

    Returns:
        The output of ``module(inputs)``.
    """
    bns = [m for m in module.modules()
           if isinstance(m, nn.modules.batchnorm._BatchNorm)
           and m.training and m.track_running_stats]
    return checkpoint(
        module, inputs, use_reentrant=False,
        context_fn=lambda: (nullcontext(), _bn_statistics_frozen(bns)))
