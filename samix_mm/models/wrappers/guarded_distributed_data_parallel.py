# Copyright (c) samix_mm contributors. All rights reserved.
"""mmengine's DDP wrapper keeping a model's non-finite-loss guard."""
from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
# mmengine's root registry, where its own wrappers live: Runner.wrap_model
# looks the type up there without switching to the default scope, so a
# wrapper in samix_mm's child registry would not be found.
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

from ..utils import NonFiniteLossGuard, guarded_train_step


@MODEL_WRAPPERS.register_module()
class GuardedDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` whose train step keeps the guard.

    mmengine's wrapper runs its own train step, which would bypass the
    model's. For a :class:`NonFiniteLossGuard` model this runs
    :func:`guarded_train_step` through the wrapper's forward instead: all
    processes agree on a bad step, so either all of them back-propagate
    and update, or none does. Other models train as with mmengine's
    wrapper. The SAMix model configs select it with
    ``model_wrapper_cfg=dict(type='GuardedDistributedDataParallel')``.

    Args:
        module (nn.Module): The model.
        detect_anomalous_params (bool): mmengine's debugging option; not
            available with the guard (use mmengine's wrapper for it).
        **kwargs: ``torch.nn.parallel.DistributedDataParallel``'s arguments.
    """

    def __init__(self,
                 module: nn.Module,
                 detect_anomalous_params: bool = False,
                 **kwargs):
        if detect_anomalous_params:
            raise ValueError(
                'GuardedDistributedDataParallel does not detect anomalous '
                "parameters; set model_wrapper_cfg.type="
                "'MMDistributedDataParallel' to debug with it")
        super().__init__(module, **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One training step of the wrapped model.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimizer wrapper.

        Returns:
            dict[str, Tensor]: The log variables.
        """
        if not isinstance(self.module, NonFiniteLossGuard):
            return super().train_step(data, optim_wrapper)
        return guarded_train_step(self, self.module, data, optim_wrapper)
