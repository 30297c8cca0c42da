# Copyright (c) samix_mm contributors. All rights reserved.
"""Test-only hook: every process saves its model and optimizer state."""
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from samix_mm.registry import HOOKS


@HOOKS.register_module(force=True)
class ReplicaDumpHook(Hook):
    """Save ``replica_rank<r>.pth`` (state_dict, optimizer state) after
    training, in every process."""

    def after_train(self, runner: Runner) -> None:
        model = get_ori_model(runner.model)
        torch.save(
            dict(
                state_dict=model.state_dict(),
                params=[name for name, _ in model.named_parameters()],
                optimizer=runner.optim_wrapper.state_dict(),
                world_size=runner.world_size),
            osp.join(runner.work_dir, f'replica_rank{runner.rank}.pth'))


@HOOKS.register_module(force=True)
class PoisonOnceHook(Hook):
    """Make ``loss_mix_k`` NaN in one iteration on one process only, and
    record in every process which steps were skipped and whether that
    iteration changed any parameter (``skip_report_rank<r>.pth``)."""

    def __init__(self, rank: int = 1, iteration: int = 1):
        self.rank, self.iteration = rank, iteration
        self.skipped, self.changed = [], None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter != self.iteration:
            return
        model = get_ori_model(runner.model)
        self.before = [p.detach().clone() for p in model.parameters()]
        if runner.rank == self.rank:
            loss_module = model.head_mix_k.loss_module
            real = loss_module.forward
            loss_module.forward = lambda *a, **k: real(*a, **k) * float('nan')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = get_ori_model(runner.model)
        if model.step_skipped:
            self.skipped.append(runner.iter)
        if runner.iter == self.iteration:
            vars(model.head_mix_k.loss_module).pop('forward', None)
            self.changed = [not torch.equal(a, b) for a, b in zip(
                self.before, model.parameters())]

    def after_train(self, runner: Runner) -> None:
        torch.save(dict(skipped=self.skipped, changed=self.changed),
                   osp.join(runner.work_dir,
                            f'skip_report_rank{runner.rank}.pth'))
