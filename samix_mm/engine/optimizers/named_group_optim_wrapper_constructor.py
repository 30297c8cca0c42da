# Copyright (c) samix_mm contributors. All rights reserved.
"""One optimizer with named parameter groups (e.g. the SAMix Mixer)."""
from typing import Dict, Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from samix_mm.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                               OPTIMIZERS)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class NamedGroupOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Put the parameters of named sub-modules into their own groups.

    ``paramwise_cfg`` maps a sub-module name (an attribute of the model,
    e.g. ``'mixer'``) to the optimizer settings of its group, given as
    absolute values (``lr``, ``momentum``, ``weight_decay``, ...). Every
    other trainable parameter lands in the group ``'default'`` with the
    settings of ``optim_wrapper.optimizer``. Each group carries its
    ``name`` so that :class:`GroupCosineAnnealingLR` can give it its own
    minimum lr. Parameters with ``requires_grad=False`` (the momentum
    encoder) are left out of the optimizer.

    mmengine's ``custom_keys`` (``dict(custom_keys={'mixer.': dict(lr=...,
    momentum=..., name='mixer')})``) gives the same updates (a test checks
    it) but one parameter group per parameter, with only the custom ones
    named; this constructor makes two groups, each stepped by one foreach
    call, and names both.

    Example:
        >>> optim_wrapper = dict(
        >>>     constructor='NamedGroupOptimWrapperConstructor',
        >>>     optimizer=dict(type='SGD', lr=0.2, momentum=0.9),
        >>>     paramwise_cfg=dict(mixer=dict(lr=0.1, momentum=0.9)))

    Args:
        optim_wrapper_cfg (dict): The optim wrapper config.
        paramwise_cfg (dict, optional): Sub-module name → group settings.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[Dict[str, dict]] = None):
        super().__init__(optim_wrapper_cfg, paramwise_cfg=None)
        self.group_cfg = dict(paramwise_cfg or {})
        if 'default' in self.group_cfg:
            raise ValueError('paramwise_cfg may not name a group "default"; '
                             'set its values in optim_wrapper.optimizer')

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        groups = []
        taken = set()
        for name, settings in self.group_cfg.items():
            module = getattr(model, name, None)
            if not isinstance(module, nn.Module):
                raise ValueError(
                    f'paramwise_cfg names "{name}" but the model '
                    f'{type(model).__name__} has no such sub-module')
            params = [p for p in module.parameters() if p.requires_grad]
            taken.update(id(p) for p in params)
            groups.append(dict(params=params, name=name, **settings))
        rest = [
            p for p in model.parameters()
            if p.requires_grad and id(p) not in taken
        ]
        groups.insert(0, dict(params=rest, name='default'))
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cfg['params'] = [g for g in groups if g['params']]
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = self.optim_wrapper_cfg.copy()
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            wrapper_cfg, default_args=dict(optimizer=optimizer))
