# Copyright (c) samix_mm contributors. All rights reserved.
"""iNaturalist 2017/2018 from their COCO-like json annotation files."""
import os.path as osp
from typing import Dict, List, Sequence

from mmengine.fileio import load
from mmpretrain.datasets import BaseDataset

from samix_mm.registry import DATASETS


@DATASETS.register_module()
class INaturalist(BaseDataset):
    """`iNaturalist <https://github.com/visipedia/inat_comp>`_ 2017 / 2018.

    Reads the official json files, laid out as: ::

        data_root/                       # e.g. data/inat2018
        ├── train2018.json               # or train2017.json, ...
        ├── val2018.json
        └── train_val2018/<super>/<category>/<id>.jpg  # as in file_name

    Each json holds ``images`` (``id``, ``file_name`` relative to
    ``data_root``), ``annotations`` (``image_id``, ``category_id``) and
    ``categories`` (``id``, ``name``). Labels are the ranks of the category
    ids, sorted, so that train and val agree. A missing file, an image
    without (or with several) annotations, or an unknown category raises a
    one-line ``ValueError``; the unlabelled test jsons are not supported.

    Args:
        data_root (str): The dataset folder.
        ann_file (str): The json file, relative to ``data_root`` or
            absolute, e.g. ``'train2018.json'``.
        pipeline (Sequence): Processing pipeline; it starts with an image
            loader such as :class:`LoadImageChecked`. Defaults to ().
        test_mode (bool): Whether the dataset is used for testing.
            Defaults to False.
        lazy_init (bool): Whether to defer reading the json file.
            Defaults to False.
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        super().__init__(
            ann_file=ann_file,
            data_root=osp.expanduser(data_root or ''),
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init)

    def load_data_list(self) -> List[dict]:
        """Read the json: ``img_path`` and ``gt_label`` of every image."""
        if not osp.isfile(self.ann_file):
            raise ValueError(f'INaturalist: annotation file {self.ann_file} '
                             'not found; set data_root and ann_file (e.g. '
                             "ann_file='train2018.json') in the config")
        try:
            ann = load(self.ann_file)
        except (ValueError, UnicodeDecodeError) as err:  # incl. JSON errors
            raise ValueError(f'INaturalist: {self.ann_file} is not valid '
                             f'json ({err}); re-download the file') from None
        missing = [
            k for k in ('images', 'annotations', 'categories') if k not in ann
        ]
        if missing:
            raise ValueError(f'INaturalist: {self.ann_file} lacks {missing}; '
                             'use a train/val json (test jsons have no '
                             'labels)')
        try:
            return self._parse(ann)
        except (KeyError, TypeError) as err:
            what = f'lacks the key {err}' if isinstance(
                err, KeyError) else 'is not an object'
            raise ValueError(
                f'INaturalist: {self.ann_file}: an entry {what}; each image '
                'needs id and file_name, each annotation image_id and '
                'category_id, each category id and name; fix the file'
            ) from None

    def _parse(self, ann: dict) -> List[dict]:
        """Labels and image paths from the loaded json."""
        categories = sorted(ann['categories'], key=lambda c: c['id'])
        label_of = {c['id']: i for i, c in enumerate(categories)}
        self._metainfo['classes'] = tuple(c['name'] for c in categories)

        category_of: Dict[int, int] = {}
        for a in ann['annotations']:
            image_id, category_id = a['image_id'], a['category_id']
            if category_id not in label_of:
                raise ValueError(
                    f'INaturalist: {self.ann_file}: annotation of image '
                    f'{image_id} has category_id {category_id} that is not '
                    'in categories; fix the file')
            if image_id in category_of:
                raise ValueError(
                    f'INaturalist: {self.ann_file}: image {image_id} has '
                    'several annotations; keep one per image')
            category_of[image_id] = category_id

        data_list = []
        for img in ann['images']:
            if img['id'] not in category_of:
                raise ValueError(
                    f'INaturalist: {self.ann_file}: image {img["id"]} '
                    f'({img["file_name"]}) has no annotation; use a '
                    'train/val json or drop the image')
            data_list.append(
                dict(
                    img_path=osp.join(self.data_root, img['file_name']),
                    gt_label=label_of[category_of[img['id']]]))
        if not data_list:
            raise ValueError(f'INaturalist: {self.ann_file} lists no images')
        return data_list

    def extra_repr(self) -> List[str]:
        """The annotation file and the dataset folder."""
        return [
            f'Annotation file: \t{self.ann_file}',
            f'Root of dataset: \t{self.data_root}'
        ]
