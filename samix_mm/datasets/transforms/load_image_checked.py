# Copyright (c) samix_mm contributors. All rights reserved.
"""Image loading whose decode errors name the bad file."""
import os.path as osp
from typing import Optional

from mmcv.transforms import LoadImageFromFile

from samix_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageChecked(LoadImageFromFile):
    """:class:`mmcv.transforms.LoadImageFromFile` with a readable error.

    A zero-byte, truncated or otherwise undecodable file makes mmcv fail
    with an opaque OpenCV error or a bare assertion; this transform raises
    ``ValueError('cannot decode image <path>: <reason>; remove or replace
    the file')`` instead. A missing file still raises mmengine's
    ``FileNotFoundError``, which names the path. The arguments are those of
    :class:`mmcv.transforms.LoadImageFromFile`; with ``ignore_empty=True``
    a bad file gives ``None``, as there. An image decoded already (``img``
    and no ``img_path``, as mmpretrain's inferencers pass it) is kept.

    Example:
        >>> load = LoadImageChecked()
        >>> load(dict(img_path='empty.jpg'))  # doctest: +SKIP
        ValueError: cannot decode image empty.jpg: the file is empty
        (0 bytes); remove or replace the file
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']``; name the file if it is bad.

        Args:
            results (dict): The data info, with ``img_path`` or an ``img``
                decoded already.

        Returns:
            dict | None: ``results`` with ``img``, ``img_shape`` and
            ``ori_shape``; ``None`` for a bad file if ``ignore_empty``.
        """
        if 'img_path' not in results and 'img' in results:
            return results
        path = results['img_path']
        try:
            return super().transform(results)
        except FileNotFoundError:
            raise
        except Exception as err:
            if self.ignore_empty:
                return None
            if osp.isfile(path) and osp.getsize(path) == 0:
                reason = 'the file is empty (0 bytes)'
            elif isinstance(err, AssertionError):  # mmcv got ``None``
                reason = 'corrupt or not an image'
            else:
                lines = str(err).strip().splitlines() or [type(err).__name__]
                reason = lines[-1].strip()
            raise ValueError(f'cannot decode image {path}: {reason}; '
                             'remove or replace the file') from err
