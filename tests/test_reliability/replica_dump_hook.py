# Copyright (c) samix_mm contributors. All rights reserved.
"""Test-only hook: every process saves its model and optimizer state."""
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from samix_mm.registry import HOOKS


@HOOKS.register_module(force=True)
class ReplicaDumpHook(Hook):
    """Save ``replica_rank<r>.pth`` (state_dict, optimizer state) after
    training, in every process."""

    def after_train(self, runner: Runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        torch.save(
            dict(
                state_dict=model.state_dict(),
                params=[name for name, _ in model.named_parameters()],
                optimizer=runner.optim_wrapper.state_dict(),
                world_size=runner.world_size),
            osp.join(runner.work_dir, f'replica_rank{runner.rank}.pth'))
