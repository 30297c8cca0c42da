# Copyright (c) samix_mm contributors. All rights reserved.
"""Folder-per-class image datasets with early, readable errors."""
import os
import os.path as osp
from typing import List, Sequence

from mmpretrain.datasets import CustomDataset

from samix_mm.registry import DATASETS

#: Extensions of the image files that are read (lower case).
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')
_SET_ROOT = ('run with DATA_ROOT=path/to/dataset (the configs read it '
             'when the file is read) or set data_root in the config')


@DATASETS.register_module()
class ImageFolder(CustomDataset):
    """Images in one folder per class, e.g. CIFAR-10 saved as JPG files.

    The expected layout, with labels given by the sorted class folder
    names: ::

        data_root/
        ├── train/
        │   ├── airplane/
        │   │   ├── 0001.jpg
        │   │   └── ...
        │   └── automobile/ ...
        └── test/
            └── airplane/ ...

    Unlike :class:`mmpretrain.datasets.CustomDataset` it stops at once with
    a one-line ``ValueError`` when ``data_root`` is unset or not a
    directory, when ``data_root/split`` is missing or has no class folder,
    and when a class folder holds no image. Pair it with
    :class:`LoadImageChecked` so that a corrupt file is named when loaded.

    Args:
        data_root (str): The dataset folder. Defaults to ''.
        split (str): The sub-folder of ``data_root`` with the class folders,
            e.g. ``'train'`` or ``'test'``. Defaults to 'train'.
        extensions (Sequence[str]): Extensions of the image files.
            Defaults to :data:`IMG_EXTENSIONS`.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): Whether the dataset is used for testing.
            Defaults to False.
        lazy_init (bool): Whether to defer scanning the folders.
            Defaults to False.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        if not data_root:
            raise ValueError(f'{type(self).__name__}: data_root is not set; '
                             f'{_SET_ROOT}')
        root = osp.expanduser(data_root)
        if not osp.isdir(root):
            raise ValueError(f'{type(self).__name__}: data_root={data_root!r}'
                             f' is not a directory; {_SET_ROOT}')
        if not osp.isdir(osp.join(root, split)):
            raise ValueError(
                f'{type(self).__name__}: no folder {split!r} in data_root='
                f'{data_root!r}; expected {osp.join(root, split)}/<class>/'
                '*.jpg (check data_root and split)')
        self.split = split
        super().__init__(
            data_root=root,
            data_prefix=split,
            extensions=extensions,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init)

    def load_data_list(self) -> List[dict]:
        """Check every class folder, then list ``img_path`` and labels."""
        split_dir = self.img_prefix
        folders = sorted(e.name for e in os.scandir(split_dir) if e.is_dir())
        if not folders:
            raise ValueError(f'{type(self).__name__}: no class folders in '
                             f'{split_dir}; expected {split_dir}/<class>/'
                             '*.jpg')
        for folder in folders:
            if not self._has_image(osp.join(split_dir, folder)):
                raise ValueError(
                    f'{type(self).__name__}: class folder '
                    f'{osp.join(split_dir, folder)} has no image '
                    f'({", ".join(sorted(self.extensions))}); add images '
                    'or remove the folder')
        return super().load_data_list()

    def _has_image(self, folder: str) -> bool:
        """Whether ``folder`` (recursively) holds an image file."""
        for _, _, files in os.walk(folder):
            if any(self.is_valid_file(name) for name in files):
                return True
        return False

    def extra_repr(self) -> List[str]:
        """The folder the images come from."""
        return [f'Image folder: \t{self.img_prefix}']
