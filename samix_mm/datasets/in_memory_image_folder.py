# Copyright (c) samix_mm contributors. All rights reserved.
"""A folder-per-class dataset decoded once and served from memory."""
import hashlib
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence

import mmcv
import numpy as np

from samix_mm.registry import DATASETS
from .image_folder import IMG_EXTENSIONS, ImageFolder


def _decode(path: str) -> np.ndarray:
    """Decode one file as :class:`LoadImageChecked` does (cv2, BGR)."""
    with open(path, 'rb') as f:
        content = f.read()
    if not content:
        raise ValueError(f'cannot decode image {path}: the file is empty '
                         '(0 bytes); remove or replace the file')
    try:
        img = mmcv.imfrombytes(content, flag='color', backend='cv2')
    except Exception as err:  # noqa: BLE001 - reported with the path
        img, reason = None, str(err).strip() or type(err).__name__
    else:
        reason = 'corrupt or not an image'
    if img is None:
        raise ValueError(f'cannot decode image {path}: {reason}; remove or '
                         'replace the file')
    return img


@DATASETS.register_module()
class InMemoryImageFolder(ImageFolder):
    """An :class:`ImageFolder` whose images are decoded once, up front.

    Every image of ``data_root/split/<class>/`` is decoded when the dataset
    is built (with OpenCV, BGR, like :class:`LoadImageChecked`) into one
    ``(N, H, W, 3)`` uint8 array; :meth:`get_data_info` hands out a copy of
    image ``i`` as ``img`` (with ``img_shape`` and ``ori_shape``), so the
    pipeline starts without a loading transform, e.g. ``[PadBorder,
    RandomCrop, RandomFlip, PackInputs]``. Small images of one size, such
    as CIFAR's 32×32, are the use: 60 000 of them take 184 MB.

    With ``cache_dir`` the array is written there once as ``.npy`` (named
    after the split and a hash of the file names and sizes, written to a
    temporary file and renamed) and later builds, in this or any other
    process, map that file read-only instead of decoding again; the pages
    are then shared by every process and dataloader worker that reads
    them. Without it each build decodes; forked dataloader workers still
    share the array.

    The folder checks of :class:`ImageFolder` apply; in addition, a file
    that cannot be decoded and images of different shapes stop the build
    with a one-line ``ValueError`` that names the file.

    Args:
        data_root (str): The dataset folder. Defaults to ''.
        split (str): The sub-folder of ``data_root`` with the class
            folders. Defaults to 'train'.
        cache_dir (str, optional): Folder of the decoded-array cache.
            Defaults to None (no cache).
        decode_threads (int): Threads that read and decode the files (the
            decoder releases the GIL). Defaults to 8.
        extensions (Sequence[str]): Extensions of the image files.
            Defaults to :data:`IMG_EXTENSIONS`.
        pipeline (Sequence): Processing pipeline, without a loading
            transform. Defaults to ().
        test_mode (bool): Whether the dataset is used for testing.
            Defaults to False.
        lazy_init (bool): Whether to defer scanning and decoding.
            Defaults to False.

    Example:
        >>> ds = InMemoryImageFolder(
        ...     data_root='data/cifar10-jpg', split='test',
        ...     cache_dir='/tmp/cifar10-cache',
        ...     pipeline=[dict(type='PackInputs')])  # doctest: +SKIP
        >>> ds.images.shape  # doctest: +SKIP
        (10000, 32, 32, 3)
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 cache_dir: Optional[str] = None,
                 decode_threads: int = 8,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        self.cache_dir = cache_dir
        self.decode_threads = max(1, int(decode_threads))
        self.images: Optional[np.ndarray] = None
        self.cache_file: Optional[str] = None
        super().__init__(
            data_root=data_root,
            split=split,
            extensions=extensions,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init)

    def load_data_list(self) -> List[dict]:
        """List the files (checked), then decode or map all the images.

        Each entry keeps ``img_path`` and ``gt_label`` and gains
        ``img_index``, its row in :attr:`images` (kept when the dataset is
        sliced by ``indices``).
        """
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'{type(self).__name__}: no image in '
                             f'{self.img_prefix}')
        for index, info in enumerate(data_list):
            info['img_index'] = index
        paths = [info['img_path'] for info in data_list]
        self.images = self._load_images(paths)
        return data_list

    def _load_images(self, paths: List[str]) -> np.ndarray:
        """The cached array for ``paths``, or decode (and cache) it."""
        if self.cache_dir:
            self.cache_file = osp.join(
                osp.expanduser(self.cache_dir),
                f'{self.split}_{self._fingerprint(paths)}.npy')
            if osp.isfile(self.cache_file):
                images = np.load(self.cache_file, mmap_mode='r')
                if images.ndim == 4 and len(images) == len(paths):
                    return images
        images = self._decode_all(paths)
        if self.cache_file:
            os.makedirs(osp.dirname(self.cache_file), exist_ok=True)
            tmp = f'{self.cache_file}.{os.getpid()}.tmp'
            with open(tmp, 'wb') as f:
                np.save(f, images)
            os.replace(tmp, self.cache_file)
        return images

    def _fingerprint(self, paths: List[str]) -> str:
        """Hash of the file names (relative to the split) and sizes."""
        digest = hashlib.sha1()
        for path in paths:
            rel = osp.relpath(path, self.img_prefix)
            digest.update(f'{rel}\0{osp.getsize(path)}\n'.encode())
        return digest.hexdigest()[:16]

    def _decode_all(self, paths: List[str]) -> np.ndarray:
        """Decode every file into one ``(N, H, W, 3)`` uint8 array."""
        with ThreadPoolExecutor(self.decode_threads) as pool:
            decoded = pool.map(_decode, paths, chunksize=256)
            first = next(decoded)
            images = np.empty((len(paths), *first.shape), np.uint8)
            images[0] = first
            for index, img in enumerate(decoded, 1):
                if img.shape != first.shape:
                    raise ValueError(
                        f'{type(self).__name__}: {paths[index]} is '
                        f'{img.shape[1]}x{img.shape[0]}, '
                        f'{paths[0]} is {first.shape[1]}x{first.shape[0]}; '
                        'all images must have one size (resize them, or '
                        'use ImageFolder with a loading transform)')
                images[index] = img
        return images

    def get_data_info(self, idx: int) -> dict:
        """Data info ``idx`` with its image (a copy) as ``img``."""
        info = super().get_data_info(idx)
        img = np.array(self.images[info['img_index']])
        info.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        return info

    def extra_repr(self) -> List[str]:
        """The folder, and the cache file when there is one."""
        lines = super().extra_repr()
        if self.images is not None:
            lines.append(f'Images in memory: \t{tuple(self.images.shape)}')
        if self.cache_file:
            lines.append(f'Cache file: \t{self.cache_file}')
        return lines
