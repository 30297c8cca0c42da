# Copyright (c) samix_mm contributors. All rights reserved.
"""Write a generated detection set in the PASCAL VOC layout.

The layout mmdet's ``VOCDataset`` reads: ``VOC2007/JPEGImages``,
``Annotations`` (one XML per image, 1-based inclusive boxes) and
``ImageSets/Main/{trainval,test}.txt``.
"""
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Tuple

import cv2

from .scene_renderer import SceneObject, iter_scenes, mask_to_box
from .splits import SPLITS, split_sizes


def voc_annotation(filename: str, img_size: int, classes: Tuple[str, ...],
                   objects: List[SceneObject]) -> ET.ElementTree:
    """The VOC XML of one image; boxes 1-based and inclusive, as in VOC.

    Args:
        filename (str): Image file name.
        img_size (int): Image side.
        classes (tuple[str]): Class names (labels index them).
        objects (list): ``(label, mask)`` pairs.

    Returns:
        xml.etree.ElementTree.ElementTree: The ``<annotation>`` tree.
    """
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = 'VOC2007'
    ET.SubElement(root, 'filename').text = filename
    size = ET.SubElement(root, 'size')
    for key, value in (('width', img_size), ('height', img_size), ('depth',
                                                                   3)):
        ET.SubElement(size, key).text = str(value)
    for label, mask in objects:
        obj = ET.SubElement(root, 'object')
        ET.SubElement(obj, 'name').text = classes[label]
        ET.SubElement(obj, 'difficult').text = '0'
        box = ET.SubElement(obj, 'bndbox')
        for key, value in zip(('xmin', 'ymin', 'xmax', 'ymax'),
                              mask_to_box(mask)):
            ET.SubElement(box, key).text = str(value + 1)
    return ET.ElementTree(root)


def write_voc(out_dir: str, num_images: int, img_size: int, seed: int,
              classes: Tuple[str, ...]) -> Dict[str, int]:
    """Write ``out_dir/VOC2007/{JPEGImages,Annotations,ImageSets/Main}``.

    Args:
        out_dir (str): The ``data_root`` of the VOC configs.
        num_images (int): Images in all (see :func:`split_sizes`).
        img_size (int): Image side.
        seed (int): Seed of the set.
        classes (tuple[str]): Class names.

    Returns:
        dict: Images per split and ``objects`` in all.
    """
    voc = osp.join(out_dir, 'VOC2007')
    for sub in ('JPEGImages', 'Annotations', osp.join('ImageSets', 'Main')):
        os.makedirs(osp.join(voc, sub), exist_ok=True)
    num_train, _ = split_sizes(num_images)
    ids: Dict[str, List[str]] = {name: [] for name in SPLITS['voc']}
    count = 0
    for i, img, objects in iter_scenes(num_images, img_size, seed, classes):
        img_id = f'{i:06d}'
        cv2.imwrite(osp.join(voc, 'JPEGImages', f'{img_id}.jpg'), img)
        voc_annotation(f'{img_id}.jpg', img_size, classes, objects).write(
            osp.join(voc, 'Annotations', f'{img_id}.xml'))
        ids[SPLITS['voc'][int(i >= num_train)]].append(img_id)
        count += len(objects)
    for name, names in ids.items():
        with open(osp.join(voc, 'ImageSets', 'Main', f'{name}.txt'), 'w') as f:
            f.write(''.join(f'{n}\n' for n in names))
    return dict({
        name: len(names)
        for name, names in ids.items()
    },
                objects=count)
