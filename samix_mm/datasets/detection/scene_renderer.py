# Copyright (c) samix_mm contributors. All rights reserved.
"""Scenes of the generated detection sets, drawn with the SyntheticShapes
renderers.

Every image shows 1 to ``max_objects`` shapes on a cluttered background
(:func:`render_scene`), from a generator seeded with ``(seed, index)``
(:func:`iter_scenes`), so the same arguments give the same images. Objects
do not overlap, so each mask is exactly what is visible; boxes are the
tight boxes of the masks (:func:`mask_to_box`).
"""
from typing import Iterator, List, Optional, Tuple

import numpy as np

from ..synthetic_shapes import SHAPES, render_background, render_sample

Array = np.ndarray
#: (label, (H, W) uint8 {0, 1} mask) of one object.
SceneObject = Tuple[int, Array]

#: Classes of the generated sets: the first shapes of SyntheticShapes.
DEFAULT_NUM_CLASSES = 4
MIN_IMG_SIZE = 64


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
