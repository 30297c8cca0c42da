# Copyright (c) samix_mm contributors. All rights reserved.
"""Write a generated detection set in the VOC or COCO layout."""
from typing import Tuple

from .coco_writer import write_coco
from .scene_renderer import DEFAULT_NUM_CLASSES, detection_classes
from .voc_writer import write_voc

FORMATS: Tuple[str, ...] = ('voc', 'coco')


def make_detection_set(out_dir: str,
                       fmt: str = 'voc',
                       num_images: int = 40,
                       img_size: int = 128,
                       seed: int = 0,
                       num_classes: int = DEFAULT_NUM_CLASSES) -> dict:
    """Write a generated detection set in the VOC or COCO layout.

    Args:
        out_dir (str): Output folder (the configs' ``data_root``).
        fmt (str): ``'voc'`` or ``'coco'``. Defaults to ``'voc'``.
        num_images (int): Images in all, a quarter of them for testing.
            Defaults to 40.
        img_size (int): Image side in pixels. Defaults to 128.
        seed (int): Seed of the set. Defaults to 0.
        num_classes (int): Shape classes. Defaults to
            :data:`DEFAULT_NUM_CLASSES`.

    Returns:
        dict: ``classes``, ``format`` and the counts of the writer.
    """
    if fmt not in FORMATS:
        raise ValueError(f'unknown format {fmt!r}; use one of '
                         f'{", ".join(FORMATS)}')
    classes = detection_classes(num_classes)
    writer = write_voc if fmt == 'voc' else write_coco
    counts = writer(out_dir, num_images, img_size, seed, classes)
    return dict(format=fmt, classes=classes, **counts)
