# Copyright (c) samix_mm contributors. All rights reserved.
"""A training step that stops on, or skips, a NaN/Inf loss."""
from collections import OrderedDict
from typing import Dict, Union

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim import OptimWrapper
from torch import nn

NONFINITE_MODES = ('raise', 'skip')


def check_nonfinite_mode(mode: str) -> str:
    """Return ``mode`` if it is a valid ``nonfinite_loss`` value.

    Args:
        mode (str): ``'raise'`` or ``'skip'``.

    Returns:
        str: ``mode``.
    """
    if mode not in NONFINITE_MODES:
        raise ValueError("set model.nonfinite_loss to 'raise' or "
                         f"'skip', not {mode!r}")
    return mode


def nonfinite_terms(log_vars: Dict[str, torch.Tensor]) -> Dict[str, str]:
    """The terms that are NaN or Inf on any process, with their kind.

    Every process gets the same answer (the codes are max-reduced), so all
    of them raise or skip together.

    Args:
        log_vars (dict[str, Tensor]): ``parse_losses``' log variables.

    Returns:
        dict[str, str]: ``{name: 'nan' | 'inf'}``; empty if all are finite.
    """
    values = torch.stack([v.detach().float() for v in log_vars.values()])
    code = torch.isinf(values).int() + 2 * torch.isnan(values).int()
    if get_world_size() > 1:
        all_reduce(code, op='max')  # in place
    return {k: 'nan' if c > 1 else 'inf'
            for k, c in zip(log_vars, code.tolist()) if c}


def guarded_train_step(forward_model: nn.Module, model: nn.Module,
                       data: Union[dict, tuple, list],
                       optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
    """mmengine's train step, refusing or skipping a non-finite loss.

    As ``BaseModel.train_step`` (and ``MMDistributedDataParallel``'s), but
    before ``optim_wrapper.update_params`` every loss term is checked on
    every process. With ``model.nonfinite_loss == 'raise'`` a
    ``FloatingPointError`` names the bad terms and the iteration; with
    ``'skip'`` a warning is logged, the BN statistics of the step are
    restored and nothing is back-propagated or updated (no optimizer,
    scaler or EMA step: ``model.step_skipped`` is True until the next good
    step). With gradient accumulation a skipped step does not count.

    Args:
        forward_model (nn.Module): What runs the forward: the model, or its
            distributed wrapper (whose forward prepares the gradient sync).
        model (nn.Module): The model (``data_preprocessor``,
            ``parse_losses``, ``nonfinite_loss``).
        data (dict | tuple | list): A batch from the dataloader.
        optim_wrapper (OptimWrapper): The optimizer wrapper.

    Returns:
        dict[str, Tensor]: The log variables (without the bad terms on a
        skipped step).
    """
    skip = model.nonfinite_loss == 'skip'
    with optim_wrapper.optim_context(forward_model):
        data = model.data_preprocessor(data, True)
        buffers = [b.clone() for b in model.buffers()] if skip else []
        losses = forward_model._run_forward(data, mode='loss')
    model._guarded_step = True
    try:
        loss, log_vars = model.parse_losses(losses)
    finally:
        model._guarded_step = False
    bad = nonfinite_terms(log_vars)
    model.step_skipped = bool(bad)
    if not bad:
        optim_wrapper.update_params(loss)
        return log_vars
    hub = MessageHub.get_current_instance()
    where = f"iteration {(hub.get_info('iter') or 0) + 1}"
    # name the terms, not their sum (unless only the sum overflowed)
    named = {k: v for k, v in bad.items() if k != 'loss'} or bad
    what = ', '.join(f'{k} is {kind}' for k, kind in named.items())
    if not skip:
        raise FloatingPointError(
            f'{what} at {where}; lower optim_wrapper.optimizer.lr, '
            'add optim_wrapper.clip_grad=dict(max_norm=...), check the '
            "data, or set model.nonfinite_loss='skip' to skip such steps")
    MMLogger.get_current_instance().warning(
        f'skipped the step of {where}: {what}')
    with torch.no_grad():
        for buf, old in zip(model.buffers(), buffers):
            buf.copy_(old)
    return OrderedDict((k, v) for k, v in log_vars.items() if k not in bad)


class NonFiniteLossGuard:
    """Mixin for a ``BaseModel``: :func:`guarded_train_step` as its step.

    The model sets ``self.nonfinite_loss`` (``'raise'`` or ``'skip'``) and
    reads ``self.step_skipped`` (e.g. to skip its EMA update). Distributed
    training keeps the guard through
    :class:`~samix_mm.models.wrappers.GuardedDistributedDataParallel`.
    """

    nonfinite_loss: str = 'raise'
    step_skipped: bool = False
    _guarded_step: bool = False

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One guarded training step (see :func:`guarded_train_step`).

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimizer wrapper.

        Returns:
            dict[str, Tensor]: The log variables.
        """
        return guarded_train_step(self, self, data, optim_wrapper)

    def parse_losses(self, losses: Dict[str, torch.Tensor]) -> tuple:
        """``BaseModel.parse_losses``, only inside the guarded step.

        A train step that bypasses the guard (mmengine's own DDP wrapper)
        would let a NaN loss reach the weights; it is refused instead.

        Args:
            losses (dict[str, Tensor]): The output of ``loss()``.

        Returns:
            tuple[Tensor, dict]: The summed loss and the log variables.
        """
        if not self._guarded_step:
            raise RuntimeError(
                f'{type(self).__name__} must train through its guarded '
                "train step; set model_wrapper_cfg=dict(type="
                "'GuardedDistributedDataParallel') for distributed training")
        return super().parse_losses(losses)
