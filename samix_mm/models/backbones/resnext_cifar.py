# Copyright (c) samix_mm contributors. All rights reserved.
"""ResNeXt with the CIFAR stem (3x3 conv, stride 1, no max-pool)."""
from mmpretrain.models.backbones import ResNet_CIFAR, ResNeXt

from samix_mm.registry import MODELS


@MODELS.register_module()
class ResNeXt_CIFAR(ResNeXt):
    """ResNeXt backbone for 32-64 px inputs, as SAMix uses on CIFAR and
    Tiny-ImageNet (e.g. ResNeXt-50 32x4d).

    The stages are mmpretrain's :class:`ResNeXt`; the stem and forward are
    those of mmpretrain's :class:`ResNet_CIFAR`. Arguments are those of
    :class:`ResNeXt` (``depth``, ``groups``, ``width_per_group``,
    ``out_indices``, ...); ``deep_stem`` is not supported.
    """

    _make_stem_layer = ResNet_CIFAR._make_stem_layer
    forward = ResNet_CIFAR.forward

    def __init__(self, depth: int, groups: int = 32,
                 width_per_group: int = 4, **kwargs):
        if kwargs.get('deep_stem'):
            raise ValueError('ResNeXt_CIFAR has the CIFAR stem; remove '
                             'deep_stem from the backbone config')
        super().__init__(depth, groups=groups,
                         width_per_group=width_per_group, **kwargs)
