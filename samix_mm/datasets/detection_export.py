# Copyright (c) samix_mm contributors. All rights reserved.
"""Tiny detection sets drawn with the SyntheticShapes renderers.

Every image shows 1 to ``max_objects`` shapes on a cluttered background
(:func:`render_scene`), from a generator seeded with ``(seed, index)``, so
the same arguments give the same files. Objects do not overlap, so each
mask is exactly what is visible; boxes are the tight boxes of the masks.
:func:`write_voc` writes the PASCAL VOC layout that mmdet's ``VOCDataset``
reads, :func:`write_coco` the COCO layout of mmdet's ``CocoDataset`` with
RLE masks. The last quarter of the images (at least one) forms the test
split.
"""
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .synthetic_shapes import SHAPES, render_background, render_sample

Array = np.ndarray
#: (label, (H, W) uint8 {0, 1} mask) of one object.
SceneObject = Tuple[int, Array]

FORMATS: Tuple[str, ...] = ('voc', 'coco')
#: Classes of the generated sets: the first shapes of SyntheticShapes.
DEFAULT_NUM_CLASSES = 4
MIN_IMG_SIZE = 64
#: Split names of each format: (train, test).
SPLITS: Dict[str, Tuple[str, str]] = {
    'voc': ('trainval', 'test'),
    'coco': ('train2017', 'val2017'),
}


def detection_classes(
        num_classes: int = DEFAULT_NUM_CLASSES) -> Tuple[str, ...]:
    """The class names of a generated set: the first ``num_classes`` shapes.

    Args:
        num_classes (int): 1 to 12. Defaults to :data:`DEFAULT_NUM_CLASSES`.

    Returns:
        tuple[str]: E.g. ``('circle', 'square', 'triangle', 'cross')``.
    """
    if not 1 <= num_classes <= len(SHAPES):
        raise ValueError(f'num_classes={num_classes} is unsupported; set '
                         f'1..{len(SHAPES)}')
    return tuple(SHAPES)[:num_classes]


def _free_spot(rng: np.random.Generator, taken: List[Tuple[int, int, int]],
               side: int, size: int) -> Optional[Tuple[int, int]]:
    """A random ``side``-square position that overlaps no taken square."""
    for _ in range(20):
        x0, y0 = (int(v) for v in rng.integers(0, size - side + 1, 2))
        if all(x0 + side <= x or x + s <= x0 or y0 + side <= y or y + s <= y0
               for x, y, s in taken):
            return x0, y0
    return None


def render_scene(rng: np.random.Generator,
                 classes: Tuple[str, ...],
                 size: int,
                 max_objects: int = 3) -> Tuple[Array, List[SceneObject]]:
    """Draw 1 to ``max_objects`` non-overlapping shapes on a background.

    Each object is drawn by :func:`render_sample` on its own square tile
    (30-50 % of the image side) and only its masked pixels are pasted, in a
    colour that stands out from the background under it. An object that
    finds no free place after 20 tries is left out; the first always fits.

    Args:
        rng (np.random.Generator): The source of randomness.
        classes (tuple[str]): Shape names, keys of ``SHAPES``.
        size (int): Height and width in pixels, >= :data:`MIN_IMG_SIZE`.
        max_objects (int): Most objects per image. Defaults to 3.

    Returns:
        tuple: ``(img, objects)``: the ``(size, size, 3)`` uint8 image and
        a list of ``(label, mask)`` with ``(size, size)`` uint8 masks.
    """
    img = render_background(rng, size)
    taken: List[Tuple[int, int, int]] = []
    objects: List[SceneObject] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        label = int(rng.integers(len(classes)))
        side = int(size * rng.uniform(.3, .5))
        spot = _free_spot(rng, taken, side, size)
        if spot is None:
            continue
        tile, tile_mask = render_sample(rng, classes[label], side)
        x0, y0 = spot
        mask = np.zeros((size, size), np.uint8)
        mask[y0:y0 + side, x0:x0 + side] = tile_mask
        inside = mask.astype(bool)
        colour = tile[tile_mask.astype(bool)][0].astype(np.float64)
        under = img[inside].mean(0)
        if np.linalg.norm(colour - under) < 100:
            colour = np.where(under > 127, under - 110, under + 110)
        img[inside] = np.clip(colour, 0, 255).astype(np.uint8)
        taken.append((x0, y0, side))
        objects.append((label, mask))
    return img, objects


def mask_to_box(mask: Array) -> Tuple[int, int, int, int]:
    """Tight box of a mask: first and last covered column and row.

    Args:
        mask (np.ndarray): ``(H, W)`` mask with at least one pixel set.

    Returns:
        tuple[int]: ``(x_min, y_min, x_max, y_max)``, 0-based, inclusive.
    """
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


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


def split_sizes(num_images: int) -> Tuple[int, int]:
    """Train and test image counts: the test split is a quarter (>= 1).

    Args:
        num_images (int): Images in all, >= 2.

    Returns:
        tuple[int]: ``(num_train, num_test)``.
    """
    if num_images < 2:
        raise ValueError(f'num_images={num_images} leaves no test image; '
                         'set num_images >= 2')
    num_test = max(1, num_images // 4)
    return num_images - num_test, num_test


def iter_scenes(
    num_images: int, img_size: int, seed: int,
    classes: Tuple[str,
                   ...]) -> Iterator[Tuple[int, Array, List[SceneObject]]]:
    """Scene ``i`` of a set, for ``i`` in ``range(num_images)``.

    Args:
        num_images (int): Number of images.
        img_size (int): Image side, >= :data:`MIN_IMG_SIZE`.
        seed (int): Seed of the set, >= 0.
        classes (tuple[str]): Shape names.

    Yields:
        tuple: ``(i, img, objects)`` as :func:`render_scene` returns them.
    """
    if img_size < MIN_IMG_SIZE:
        raise ValueError(f'img_size={img_size} is too small for several '
                         f'objects; set img_size >= {MIN_IMG_SIZE}')
    if seed < 0:
        raise ValueError(f'seed={seed}; set seed >= 0')
    for i in range(num_images):
        rng = np.random.default_rng((seed, i))
        yield (i, ) + render_scene(rng, classes, img_size)


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
