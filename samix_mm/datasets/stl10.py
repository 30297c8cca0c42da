# Copyright (c) samix_mm contributors. All rights reserved.
"""STL-10 read from its official binary files."""
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

from samix_mm.registry import DATASETS

#: Bytes per image: 3 channels of 96x96 uint8.
IMG_SIZE = 96
IMG_BYTES = 3 * IMG_SIZE * IMG_SIZE
#: The class order of the official ``class_names.txt``.
STL10_CLASSES = ('airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse',
                 'monkey', 'ship', 'truck')
#: split → the parts it is made of; each part is (images file, labels file).
_PARTS = dict(
    train=('train_X.bin', 'train_y.bin'),
    test=('test_X.bin', 'test_y.bin'),
    unlabeled=('unlabeled_X.bin', None))
_SPLITS = ('train', 'test', 'unlabeled', 'train+unlabeled')


@DATASETS.register_module()
class STL10(BaseDataset):
    """STL-10 from the official ``stl10_binary`` folder.

    `STL-10 <https://cs.stanford.edu/~acoates/stl10/>`_: 96×96 colour images
    of 10 classes, 5000 labelled training images, 8000 test images and
    100000 unlabelled images. The binary files hold uint8 images one after
    the other, each as three channel planes (R, G, B) stored column-major;
    labels are bytes 1..10 (mapped to 0..9)::

        data_root/              # e.g. data/stl10_binary
        ├── train_X.bin  train_y.bin
        ├── test_X.bin   test_y.bin
        ├── unlabeled_X.bin
        └── class_names.txt     # optional

    The images are memory-mapped and decoded on access into the layout
    mmcv's loaders give (``img``: ``(96, 96, 3)`` uint8 BGR), so no loading
    transform is needed. Unlabelled images have no ``gt_label``. A file
    whose size is not a whole number of images, a label file that does not
    match its image file, or a label outside 1..10 raise a one-line
    ``ValueError``.

    Args:
        data_root (str): The ``stl10_binary`` folder.
        split (str): ``'train'``, ``'test'``, ``'unlabeled'`` or
            ``'train+unlabeled'`` (self-supervised pre-training).
            Defaults to 'train'.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): Whether the dataset is used for testing.
            Defaults to False.
        lazy_init (bool): Whether to defer reading the files.
            Defaults to False.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        if split not in _SPLITS:
            raise ValueError(f'STL10: split={split!r} is unknown; set split '
                             f'to one of {_SPLITS}')
        root = osp.expanduser(data_root or '')
        if not osp.isdir(root):
            raise ValueError(f'STL10: data_root={data_root!r} is not a '
                             'folder; set it to the extracted stl10_binary '
                             'folder')
        self.split = split
        self._images: Dict[str, np.memmap] = {}
        super().__init__(
            ann_file='',
            metainfo=dict(classes=self._class_names(root)),
            data_root=root,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init)

    @staticmethod
    def _class_names(root: str) -> Tuple[str, ...]:
        path = osp.join(root, 'class_names.txt')
        if not osp.isfile(path):
            return STL10_CLASSES
        with open(path, encoding='utf-8') as f:
            names = tuple(line.strip() for line in f if line.strip())
        if len(names) != len(STL10_CLASSES):
            raise ValueError(f'STL10: {path} lists {len(names)} classes, '
                             'not 10; restore the official file')
        return names

    def _image_file(self, part: str) -> np.memmap:
        """Memory-map the images of ``part``, checking the file size."""
        if part not in self._images:
            path = osp.join(self.data_root, _PARTS[part][0])
            if not osp.isfile(path):
                raise ValueError(f'STL10: {path} not found; set data_root '
                                 'to the extracted stl10_binary folder')
            size = osp.getsize(path)
            if size == 0 or size % IMG_BYTES:
                raise ValueError(
                    f'STL10: {path} has {size} bytes, not a whole number of '
                    f'{IMG_BYTES}-byte images (truncated?); download and '
                    'extract stl10_binary again')
            self._images[part] = np.memmap(
                path, dtype=np.uint8, mode='r',
                shape=(size // IMG_BYTES, 3, IMG_SIZE, IMG_SIZE))
        return self._images[part]

    def _labels(self, part: str, num: int) -> np.ndarray:
        """Labels 0..9 of ``part``, checked against its ``num`` images."""
        path = osp.join(self.data_root, _PARTS[part][1])
        if not osp.isfile(path):
            raise ValueError(f'STL10: {path} not found; set data_root to '
                             'the extracted stl10_binary folder')
        labels = np.fromfile(path, dtype=np.uint8)
        if labels.size != num:
            raise ValueError(
                f'STL10: {path} has {labels.size} labels but its image '
                f'file {num} images (truncated?); download and extract '
                'stl10_binary again')
        if labels.size and (labels.min() < 1 or labels.max() > 10):
            raise ValueError(f'STL10: {path} has labels outside 1..10 '
                             f'({labels.min()}..{labels.max()}); it is not '
                             'an STL-10 label file')
        return labels.astype(np.int64) - 1

    def load_data_list(self) -> List[dict]:
        """One entry per image: its part, row and (if any) label."""
        data_list = []
        for part in self.split.split('+'):
            num = self._image_file(part).shape[0]
            if _PARTS[part][1] is None:
                data_list += [dict(part=part, row=i) for i in range(num)]
            else:
                labels = self._labels(part, num)
                data_list += [
                    dict(part=part, row=i, gt_label=int(y))
                    for i, y in enumerate(labels)
                ]
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """Decode image ``idx`` into ``(96, 96, 3)`` uint8 BGR."""
        info = super().get_data_info(idx)
        planes = self._image_file(info['part'])[info['row']]
        # (C, W, H) column-major planes -> (H, W, C), RGB -> BGR
        img = np.ascontiguousarray(planes.transpose(2, 1, 0)[..., ::-1])
        info.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        return info

    def __getstate__(self) -> dict:
        """Pickle without the memory maps (workers map the files again)."""
        state = self.__dict__.copy()
        state['_images'] = {}
        return state

    def extra_repr(self) -> List[str]:
        """The split shown by ``repr``."""
        return [f'Split: \t{self.split}', f'Root: \t{self.data_root}']
