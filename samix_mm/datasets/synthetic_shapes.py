# Copyright (c) samix_mm contributors. All rights reserved.
"""Shapes on cluttered backgrounds, rendered from a seed (no files)."""
from functools import lru_cache
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

from samix_mm.registry import DATASETS

Array = np.ndarray


def _polygon(u: Array, v: Array, sides: int, radius: float = 1.) -> Array:
    """Inside a regular polygon with circumradius ``radius``."""
    sector = 2 * np.pi / sides
    local = np.mod(np.arctan2(v, u), sector) - sector / 2
    return np.hypot(u, v) * np.cos(local) <= radius * np.cos(sector / 2)


def _star(u: Array, v: Array, points: int = 5, inner: float = .42) -> Array:
    """Inside a ``points``-pointed star (tips at radius 1)."""
    sector = 2 * np.pi / points
    local = np.mod(np.arctan2(v, u), sector) - sector / 2
    tip = np.abs(local) / (sector / 2)  # 1 at a tip, 0 between two tips
    return np.hypot(u, v) <= inner + (1 - inner) * tip


def _heart(u: Array, v: Array) -> Array:
    """Inside the heart curve ``(x²+y²-1)³ - x²y³ <= 0``."""
    x, y = 1.15 * u, 1.15 * v + .15
    return (x * x + y * y - 1)**3 - x * x * y**3 <= 0


def _arrow(u: Array, v: Array) -> Array:
    """Inside an arrow pointing along +u."""
    shaft = (np.abs(v) <= .2) & (u >= -1) & (u <= .15)
    head = (u >= .15) & (u <= 1) & (np.abs(v) <= .85 * (1 - u))
    return shaft | head


#: Shape name → inside test on canonical coordinates (object radius ~1).
# yapf: disable
SHAPES: Dict[str, Callable[[Array, Array], Array]] = {
    'circle': lambda u, v: u * u + v * v <= 1,
    'square': lambda u, v: np.maximum(np.abs(u), np.abs(v)) <= .8,
    'triangle': lambda u, v: _polygon(u, v, 3),
    'cross': lambda u, v: ((np.abs(u) <= .3) & (np.abs(v) <= 1)) |
    ((np.abs(v) <= .3) & (np.abs(u) <= 1)),
    'ring': lambda u, v: (u * u + v * v <= 1) & (u * u + v * v >= .3),
    'star': _star,
    'diamond': lambda u, v: np.abs(u) + np.abs(v) / .55 <= 1,
    'ellipse': lambda u, v: u * u + (v / .5)**2 <= 1,
    'hexagon': lambda u, v: _polygon(u, v, 6, .95),
    'crescent': lambda u, v: (u * u + v * v <= 1) &
    ((u - .5)**2 + v * v > .64),
    'heart': _heart,
    'arrow': _arrow,
}
# yapf: enable


@lru_cache(maxsize=8)
def _grid(size: int) -> Tuple[Array, Array]:
    """Pixel centres of a ``size``×``size`` image in [-1, 1] (x, y)."""
    axis = (np.arange(size, dtype=np.float32) + .5) / size * 2 - 1
    return np.meshgrid(axis, axis)


def _segment_distance(x: Array, y: Array, p0: Array, p1: Array) -> Array:
    """Distance of every pixel to the segment ``p0``-``p1``."""
    d = p1 - p0
    t = ((x - p0[0]) * d[0] + (y - p0[1]) * d[1]) / max(d @ d, 1e-6)
    t = np.clip(t, 0, 1)
    return np.hypot(x - p0[0] - t * d[0], y - p0[1] - t * d[1])


def render_background(rng: np.random.Generator, size: int) -> Array:
    """Draw a cluttered background: gradient, stripes, blobs, strokes, noise.

    Args:
        rng (np.random.Generator): The source of randomness.
        size (int): Height and width in pixels.

    Returns:
        np.ndarray: ``(size, size, 3)`` uint8 image.
    """
    x, y = _grid(size)
    c0, c1 = rng.uniform(0, 255, (2, 3))
    a = rng.uniform(0, 2 * np.pi)
    t = (np.cos(a) * x + np.sin(a) * y + 1.5) / 3
    img = c0 + (c1 - c0) * t[..., None]
    if rng.random() < .6:
        a, freq, phase = rng.uniform(0, 2 * np.pi), rng.uniform(2, 8), \
            rng.uniform(0, 2 * np.pi)
        stripes = np.sin(freq * np.pi * (np.cos(a) * x + np.sin(a) * y) +
                         phase)
        img += stripes[..., None] * rng.uniform(-60, 60, 3)
    for _ in range(rng.integers(1, 4)):
        centre, sigma = rng.uniform(-1, 1, 2), rng.uniform(.15, .5)
        dist2 = (x - centre[0])**2 + (y - centre[1])**2
        w = rng.uniform(.3, .8) * np.exp(-dist2 / (2 * sigma**2))
        img += w[..., None] * (rng.uniform(0, 255, 3) - img)
    for _ in range(rng.integers(1, 4)):
        p0, p1 = rng.uniform(-1.1, 1.1, (2, 2))
        stroke = _segment_distance(x, y, p0, p1) <= rng.uniform(.03, .09)
        img[stroke] = rng.uniform(0, 255, 3)
    img += rng.normal(0, rng.uniform(3, 15), img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def render_sample(rng: np.random.Generator, shape: str,
                  size: int) -> Tuple[Array, Array]:
    """Paste one flat-coloured ``shape`` on a :func:`render_background`.

    The background is drawn first from ``rng``, so the same generator state
    passed to :func:`render_background` reproduces it. The object gets a
    random position, scale, rotation and a colour that stands out from the
    background under it.

    Args:
        rng (np.random.Generator): The source of randomness.
        shape (str): A key of :data:`SHAPES`.
        size (int): Height and width in pixels.

    Returns:
        tuple: ``(img, mask)``, the ``(size, size, 3)`` uint8 image and the
        ``(size, size)`` uint8 {0, 1} mask of the pixels the object covers.
    """
    img = render_background(rng, size)
    x, y = _grid(size)
    radius = rng.uniform(.45, .75)
    cx, cy = rng.uniform(-1, 1, 2) * (1 - .7 * radius)
    angle = rng.uniform(0, 2 * np.pi)
    cos, sin = np.cos(angle), np.sin(angle)
    u = (cos * (x - cx) + sin * (y - cy)) / radius
    v = (cos * (y - cy) - sin * (x - cx)) / radius
    mask = SHAPES[shape](u, v)
    if not mask.any():  # guard; not seen at img_size >= 16
        mask[min(int((cy + 1) / 2 * size), size - 1),
             min(int((cx + 1) / 2 * size), size - 1)] = True
    under = img[mask].mean(0)
    colour = rng.uniform(0, 255, 3)
    for _ in range(3):
        if np.linalg.norm(colour - under) >= 100:
            break
        colour = rng.uniform(0, 255, 3)
    else:
        colour = np.where(under > 127, under - 110, under + 110)
    img[mask] = np.clip(colour, 0, 255).astype(np.uint8)
    return img, mask.astype(np.uint8)


@DATASETS.register_module()
class SyntheticShapes(BaseDataset):
    """Shapes on cluttered backgrounds, generated from a seed without files.

    Sample ``i`` shows one shape of class ``i % num_classes`` (so classes
    are balanced) at a random position, scale, rotation and colour on a
    background of gradients, stripes, colour blobs, distractor strokes and
    noise; the colour carries no class information. Every image is
    rendered on demand in :meth:`get_data_info` from a generator seeded
    with ``(seed, test_mode, i)``, so the same arguments give byte-identical
    images and the test split holds other images from the same
    distribution. The data info holds the image like mmcv loads one
    (``img``, uint8, BGR), ``gt_label`` and the object mask ``gt_mask``
    (uint8 {0, 1}), so no loading transform is needed.

    Args:
        num_samples (int): Number of images. Defaults to 1000.
        num_classes (int): Number of shape classes, the first ones of
            :data:`SHAPES` (2 to 12). Defaults to 10.
        img_size (int): Height and width of the images, >= 16.
            Defaults to 32.
        seed (int): Seed of the whole dataset, >= 0. Defaults to 0.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): Whether this is the test split; it selects other
            images. Defaults to False.
        lazy_init (bool): Whether to defer building the sample list.
            Defaults to False.

    Example:
        >>> ds = SyntheticShapes(num_samples=20, num_classes=4)
        >>> info = ds.get_data_info(5)
        >>> info['img'].shape, info['gt_label'], ds.metainfo['classes'][1]
        ((32, 32, 3), 1, 'square')
    """

    def __init__(self,
                 num_samples: int = 1000,
                 num_classes: int = 10,
                 img_size: int = 32,
                 seed: int = 0,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        if not 2 <= num_classes <= len(SHAPES):
            raise ValueError(f'SyntheticShapes: num_classes={num_classes} '
                             f'is unsupported; set num_classes to 2..'
                             f'{len(SHAPES)}')
        if img_size < 16:
            raise ValueError(f'SyntheticShapes: img_size={img_size} is too '
                             'small; set img_size >= 16')
        if num_samples <= 0:
            raise ValueError(f'SyntheticShapes: num_samples={num_samples}; '
                             'set num_samples to a positive int')
        if seed < 0:
            raise ValueError(f'SyntheticShapes: seed={seed}; set seed >= 0')
        self.num_samples = num_samples
        self.num_classes = num_classes
        self.img_size = img_size
        self.seed = seed
        classes = tuple(SHAPES)[:num_classes]
        super().__init__(
            ann_file='',
            metainfo=dict(classes=classes),
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init)

    def load_data_list(self) -> List[dict]:
        """One entry (the label) per sample; images come later."""
        return [
            dict(gt_label=i % self.num_classes)
            for i in range(self.num_samples)
        ]

    def get_data_info(self, idx: int) -> dict:
        """Render sample ``idx``: image, label, mask and shapes."""
        info = super().get_data_info(idx)
        rng = np.random.default_rng(
            (self.seed, int(self.test_mode), info['sample_idx']))
        shape = self.metainfo['classes'][info['gt_label']]
        img, mask = render_sample(rng, shape, self.img_size)
        info.update(
            img=img,
            gt_mask=mask,
            img_shape=img.shape[:2],
            ori_shape=img.shape[:2])
        return info

    def get_object_mask(self, idx: int) -> np.ndarray:
        """The ``(H, W)`` uint8 {0, 1} mask of the object in sample ``idx``.
        """
        return self.get_data_info(idx)['gt_mask']

    def get_gt_labels(self) -> np.ndarray:
        """All labels, without rendering any image."""
        return np.array([d['gt_label'] for d in self.load_data_list()])

    def get_cat_ids(self, idx: int) -> List[int]:
        """The label of sample ``idx``, without rendering it."""
        return [int(super().get_data_info(idx)['gt_label'])]

    def extra_repr(self) -> List[str]:
        """Generation settings shown by ``repr``."""
        split = 'test' if self.test_mode else 'train'
        return [
            f'Image size: \t{self.img_size}', f'Seed: \t{self.seed}',
            f'Split: \t{split}'
        ]
