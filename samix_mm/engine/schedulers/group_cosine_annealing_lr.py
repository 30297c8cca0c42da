# Copyright (c) samix_mm contributors. All rights reserved.
"""Cosine annealing with a minimum lr per named parameter group."""
import math
from typing import Dict, Optional

from mmengine.optim import CosineAnnealingLR

from samix_mm.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class GroupCosineAnnealingLR(CosineAnnealingLR):
    """Cosine annealing where each named group may end at its own lr.

    SAMix anneals the backbone to ``eta_min`` (e.g. 0) while the Mixer group
    ends at its own minimum (e.g. 1e-3), which one mmengine
    ``CosineAnnealingLR`` cannot express. Groups are named by
    :class:`NamedGroupOptimWrapperConstructor`. The value is the closed form
    ``eta + (base - eta) * (1 + cos(pi * t / T)) / 2`` per group.

    Args:
        group_eta_min (dict): Group name → minimum lr, e.g.
            ``dict(mixer=1e-3)``. Other groups use ``eta_min``.
        **kwargs: The arguments of mmengine's ``CosineAnnealingLR``
            (``T_max``, ``eta_min``, ``begin``, ``end``, ``by_epoch``, ...).
    """

    def __init__(self,
                 optimizer,
                 group_eta_min: Optional[Dict[str, float]] = None,
                 **kwargs):
        self.group_eta_min = dict(group_eta_min or {})
        super().__init__(optimizer, **kwargs)
        names = {g.get('name') for g in self.optimizer.param_groups}
        unknown = sorted(set(self.group_eta_min) - names)
        if unknown:
            raise ValueError(
                f'group_eta_min names {unknown} but the optimizer has groups '
                f'{sorted(n for n in names if n)}; name them in '
                'optim_wrapper.paramwise_cfg with '
                'NamedGroupOptimWrapperConstructor')

    def _eta_min(self, group: dict, base_value: float) -> float:
        if group.get('name') in self.group_eta_min:
            return self.group_eta_min[group['name']]
        if self.eta_min_ratio is not None:
            return base_value * self.eta_min_ratio
        return self.eta_min

    def _get_value(self) -> list:
        cos = (1 + math.cos(math.pi * self.last_step / self.T_max)) / 2
        return [
            self._eta_min(group, base) +
            (base - self._eta_min(group, base)) * cos
            for base, group in zip(self.base_values,
                                   self.optimizer.param_groups)
        ]
