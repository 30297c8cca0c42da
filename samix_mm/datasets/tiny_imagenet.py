# Copyright (c) samix_mm contributors. All rights reserved.
"""Tiny-ImageNet-200 in its official layout."""
import os
import os.path as osp
from typing import Dict, List, Sequence

from mmpretrain.datasets import BaseDataset

from samix_mm.registry import DATASETS

_SPLITS = ('train', 'val', 'test')
_IMG_EXTENSIONS = ('.jpeg', '.jpg', '.png')


@DATASETS.register_module()
class TinyImageNet(BaseDataset):
    """Tiny-ImageNet-200, read from its official archive.

    `Tiny-ImageNet-200 <http://cs231n.stanford.edu/tiny-imagenet-200.zip>`_:

    200 ImageNet classes at 64×64 pixels, laid out as: ::

        data_root/                  # e.g. data/tiny-imagenet-200
        ├── wnids.txt               # one wnid per line: label order
        ├── words.txt               # "wnid<TAB>names" (optional)
        ├── train/<wnid>/images/*.JPEG
        ├── val/images/*.JPEG
        ├── val/val_annotations.txt # file, wnid, x0, y0, x1, y1 (tabs)
        └── test/images/*.JPEG      # no labels

    Labels follow the order of ``wnids.txt``; the class names come from
    ``words.txt`` (the wnids if it is absent). Missing files and bad rows of
    ``val_annotations.txt`` raise a one-line ``ValueError`` naming the file
    (and line). The ``test`` split has no ``gt_label``.

    Args:
        data_root (str): The unzipped ``tiny-imagenet-200`` folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
            Defaults to 'train'.
        pipeline (Sequence): Processing pipeline; it starts with an image
            loader such as :class:`LoadImageChecked`. Defaults to ().
        test_mode (bool): Whether the dataset is used for testing.
            Defaults to False.
        lazy_init (bool): Whether to defer reading the file lists.
            Defaults to False.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        if split not in _SPLITS:
            raise ValueError(f'TinyImageNet: split={split!r} is unknown; set '
                             f'split to one of {_SPLITS}')
        root = osp.expanduser(data_root or '')
        wnids_file = osp.join(root, 'wnids.txt')
        if not osp.isfile(wnids_file):
            raise ValueError(f'TinyImageNet: no wnids.txt in data_root='
                             f'{data_root!r}; set data_root to the unzipped '
                             'tiny-imagenet-200 folder')
        self.split = split
        self.wnids = self._read_lines(wnids_file)
        if not self.wnids or len(set(self.wnids)) != len(self.wnids):
            what = 'lists no wnid' if not self.wnids else 'repeats a wnid'
            raise ValueError(f'TinyImageNet: {wnids_file} {what}; '
                             're-extract the archive')
        super().__init__(
            ann_file='',
            metainfo=dict(classes=self._class_names(root)),
            data_root=root,
            data_prefix=split,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init)

    @staticmethod
    def _read_lines(path: str, raw: bool = False) -> List[str]:
        """Lines of a UTF-8 text file: all, without the line break, if
        ``raw``; else the non-blank ones, stripped."""
        try:
            with open(path, encoding='utf-8') as f:
                lines = [line.rstrip('\r\n') for line in f]
        except UnicodeDecodeError as err:
            raise ValueError(f'TinyImageNet: {path} is not UTF-8 text (byte '
                             f'{err.start}); re-extract the archive') from None
        return lines if raw else [x.strip() for x in lines if x.strip()]

    def _class_names(self, root: str) -> tuple:
        """Names from ``words.txt`` in wnid order, else the wnids."""
        words_file = osp.join(root, 'words.txt')
        if not osp.isfile(words_file):
            return tuple(self.wnids)
        words: Dict[str, str] = {}
        for line in self._read_lines(words_file):
            wnid, _, names = line.partition('\t')
            words[wnid] = names.strip() or wnid
        return tuple(words.get(wnid, wnid) for wnid in self.wnids)

    def _list_images(self, folder: str) -> List[str]:
        """Sorted image paths in ``folder``; error if there are none."""
        if not osp.isdir(folder):
            raise ValueError(f'TinyImageNet: folder {folder} not found; '
                             'check data_root and the unzipped archive')
        names = sorted(
            n for n in os.listdir(folder)
            if n.lower().endswith(_IMG_EXTENSIONS))
        if not names:
            raise ValueError(f'TinyImageNet: no images in {folder}; '
                             're-extract the archive')
        return [osp.join(folder, n) for n in names]

    def load_data_list(self) -> List[dict]:
        """List ``img_path`` (and ``gt_label``) of every image of the split.
        """
        prefix = self.img_prefix
        if self.split == 'train':
            return [
                dict(img_path=path, gt_label=label)
                for label, wnid in enumerate(self.wnids)
                for path in self._list_images(
                    osp.join(prefix, wnid, 'images'))
            ]
        if self.split == 'test':
            return [
                dict(img_path=path)
                for path in self._list_images(osp.join(prefix, 'images'))
            ]
        return self._load_val_annotations(
            osp.join(prefix, 'val_annotations.txt'))

    def _load_val_annotations(self, ann_file: str) -> List[dict]:
        """Parse ``val_annotations.txt``; name the line of a bad row."""
        if not osp.isfile(ann_file):
            raise ValueError(f'TinyImageNet: {ann_file} not found; '
                             're-extract the archive')
        label_of = {wnid: i for i, wnid in enumerate(self.wnids)}
        img_dir = osp.join(osp.dirname(ann_file), 'images')
        data_list = []
        for lineno, line in enumerate(
                self._read_lines(ann_file, raw=True), 1):
            if not line.strip():
                continue
            fields = line.split('\t')
            where = f'TinyImageNet: {ann_file}:{lineno}'
            if len(fields) != 6:
                raise ValueError(
                    f'{where}: expected 6 tab-separated fields '
                    f'(file, wnid, x0, y0, x1, y1), got {len(fields)}; '
                    'fix or remove the line')
            if fields[1] not in label_of:
                raise ValueError(f'{where}: wnid {fields[1]!r} is not '
                                 'in wnids.txt; fix the line')
            if not all(x.strip().lstrip('-').isdigit()
                       for x in fields[2:]):
                raise ValueError(f'{where}: box {fields[2:]} is not 4 '
                                 'integers; fix the line')
            data_list.append(
                dict(
                    img_path=osp.join(img_dir, fields[0]),
                    gt_label=label_of[fields[1]]))
        if not data_list:
            raise ValueError(f'TinyImageNet: {ann_file} has no rows; '
                             're-extract the archive')
        return data_list

    def extra_repr(self) -> List[str]:
        """The dataset folder and split."""
        return [
            f'Root of dataset: \t{self.data_root}', f'Split: \t{self.split}'
        ]
