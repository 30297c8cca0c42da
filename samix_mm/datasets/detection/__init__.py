# Copyright (c) samix_mm contributors. All rights reserved.
"""Generated detection sets written to disk for mmdet (no download).

Not a registry folder and not imported by :mod:`samix_mm.datasets`: these
modules write VOC or COCO files, which mmdet's own ``VOCDataset`` and
``CocoDataset`` read (``tools/misc/make_detection_data.py``,
``configs/detection/``).
"""
from .coco_writer import write_coco
from .detection_set import FORMATS, make_detection_set
from .scene_renderer import (DEFAULT_NUM_CLASSES, detection_classes,
                             iter_scenes, mask_to_box, render_scene)
from .voc_writer import write_voc

__all__ = [
    'FORMATS', 'DEFAULT_NUM_CLASSES', 'make_detection_set',
    'detection_classes', 'render_scene', 'iter_scenes', 'mask_to_box',
    'write_voc', 'write_coco'
]
