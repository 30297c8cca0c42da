# Copyright (c) samix_mm contributors. All rights reserved.
"""Write a generated detection set in the COCO layout.

The layout mmdet's ``CocoDataset`` reads: ``{train2017,val2017}/`` images
and ``annotations/instances_{train,val}2017.json`` with boxes and RLE
masks.
"""
import json
import os
import os.path as osp
from typing import Dict, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .scene_renderer import Array, iter_scenes, mask_to_box
from .splits import SPLITS, split_sizes


def mask_to_rle(mask: Array) -> dict:
    """COCO's compressed RLE of a mask, JSON-ready.

    Args:
        mask (np.ndarray): ``(H, W)`` uint8 {0, 1} mask.

    Returns:
        dict: ``{'size': [H, W], 'counts': str}``.
    """
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=[int(v) for v in rle['size']],
                counts=rle['counts'].decode('ascii'))


def write_coco(out_dir: str, num_images: int, img_size: int, seed: int,
               classes: Tuple[str, ...]) -> Dict[str, int]:
    """Write ``out_dir/{train2017,val2017}/`` and ``annotations/``.

    ``annotations/instances_{train,val}2017.json`` hold the images, the
    categories (ids from 1, named after ``classes``) and one annotation per
    object with its ``[x, y, w, h]`` box, area and RLE mask.

    Args:
        out_dir (str): The ``data_root`` of the COCO configs.
        num_images (int): Images in all (see :func:`split_sizes`).
        img_size (int): Image side.
        seed (int): Seed of the set.
        classes (tuple[str]): Class names.

    Returns:
        dict: Images per split and ``objects`` in all.
    """
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    num_train, _ = split_sizes(num_images)
    categories = [
        dict(id=k + 1, name=name, supercategory='shape')
        for k, name in enumerate(classes)
    ]
    sets = {
        name: dict(images=[], annotations=[], categories=categories)
        for name in SPLITS['coco']
    }
    for name in sets:
        os.makedirs(osp.join(out_dir, name), exist_ok=True)
    count = 0
    for i, img, objects in iter_scenes(num_images, img_size, seed, classes):
        split = SPLITS['coco'][int(i >= num_train)]
        file_name = f'{i:06d}.jpg'
        cv2.imwrite(osp.join(out_dir, split, file_name), img)
        sets[split]['images'].append(
            dict(id=i + 1,
                 file_name=file_name,
                 width=img_size,
                 height=img_size))
        for label, mask in objects:
            x0, y0, x1, y1 = mask_to_box(mask)
            count += 1
            sets[split]['annotations'].append(
                dict(id=count,
                     image_id=i + 1,
                     category_id=label + 1,
                     bbox=[x0, y0, x1 - x0 + 1, y1 - y0 + 1],
                     area=int(mask.sum()),
                     iscrowd=0,
                     segmentation=mask_to_rle(mask)))
    for name, data in sets.items():
        path = osp.join(out_dir, 'annotations',
                        f'instances_{name[:-4]}2017.json')
        with open(path, 'w') as f:
            json.dump(data, f)
    return dict({
        name: len(data['images'])
        for name, data in sets.items()
    },
                objects=count)
