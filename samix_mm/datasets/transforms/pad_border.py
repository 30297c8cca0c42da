# Copyright (c) samix_mm contributors. All rights reserved.
"""Pad every image border by a fixed amount."""
import mmcv
from mmcv.transforms import BaseTransform

from samix_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PadBorder(BaseTransform):
    """Pad all four borders of ``img`` by ``padding`` pixels.

    mmpretrain 1.2.0's ``RandomCrop`` ignores ``padding_mode`` when
    ``padding`` is given (it always pads with a constant), so the CIFAR
    recipe "pad 4 with reflection, then crop 32" is written as
    ``PadBorder(padding=4, padding_mode='reflect')`` followed by
    ``RandomCrop(crop_size=32)``.

    Args:
        padding (int): Pixels added on each side.
        padding_mode (str): ``constant``, ``edge``, ``reflect`` or
            ``symmetric``. Defaults to 'reflect'.
    """

    def __init__(self, padding: int, padding_mode: str = 'reflect'):
        if padding < 0:
            raise ValueError(f'padding must be >= 0, got {padding}')
        if padding_mode not in ('constant', 'edge', 'reflect', 'symmetric'):
            raise ValueError(f'unknown padding_mode "{padding_mode}"; use '
                             'constant, edge, reflect or symmetric')
        self.padding = padding
        self.padding_mode = padding_mode

    def transform(self, results: dict) -> dict:
        img = mmcv.impad(results['img'], padding=self.padding,
                         padding_mode=self.padding_mode)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(padding={self.padding}, '
                f'padding_mode={self.padding_mode})')
