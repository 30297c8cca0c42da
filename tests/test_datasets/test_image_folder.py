# Copyright (c) samix_mm contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from samix_mm.datasets import ImageFolder
from samix_mm.datasets.transforms import LoadImageChecked
from samix_mm.utils import register_all_modules

# as outside a Runner: the default scope finds samix_mm's transforms
register_all_modules()
PIPELINE = [dict(type='LoadImageChecked'), dict(type='PackInputs')]


def make_tree(root, classes=('cat', 'dog'), per_class=2, split='train'):
    for label, name in enumerate(classes):
        folder = root / split / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            img = np.full((8, 8, 3), 40 * label + i, np.uint8)
            cv2.imwrite(str(folder / f'{i}.jpg'), img)
    return root


def test_loads_folder_per_class(tmp_path):
    make_tree(tmp_path, classes=('cat', 'dog', 'emu'))
    ds = ImageFolder(data_root=str(tmp_path), pipeline=PIPELINE)
    assert len(ds) == 6
    assert ds.metainfo['classes'] == ('cat', 'dog', 'emu')
    assert list(ds.get_gt_labels()) == [0, 0, 1, 1, 2, 2]
    item = ds[3]
    assert tuple(item['inputs'].shape) == (3, 8, 8)
    assert item['data_samples'].gt_label.item() == 1


@pytest.mark.parametrize('data_root', ['', 'does/not/exist'])
def test_missing_data_root(data_root):
    with pytest.raises(ValueError, match='run with DATA_ROOT=path/to/dataset') as err:
        ImageFolder(data_root=data_root)
    assert '\n' not in str(err.value)


def test_missing_split(tmp_path):
    with pytest.raises(ValueError, match="no folder 'train'"):
        ImageFolder(data_root=str(tmp_path))


def test_no_class_folders(tmp_path):
    (tmp_path / 'train').mkdir()
    with pytest.raises(ValueError, match='no class folders'):
        ImageFolder(data_root=str(tmp_path))


def test_empty_class_folder_is_named(tmp_path):
    make_tree(tmp_path)
    (tmp_path / 'train' / 'zebra').mkdir()
    (tmp_path / 'train' / 'zebra' / 'notes.txt').write_text('x')
    with pytest.raises(ValueError, match='zebra has no image') as err:
        ImageFolder(data_root=str(tmp_path))
    assert '\n' not in str(err.value)


@pytest.mark.parametrize('content', [b'', b'not a jpeg' * 20])
def test_corrupt_image_is_named(tmp_path, content):
    make_tree(tmp_path)
    bad = tmp_path / 'train' / 'dog' / 'bad.jpg'
    bad.write_bytes(content)
    ds = ImageFolder(data_root=str(tmp_path), pipeline=PIPELINE)
    paths = [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    idx = paths.index(str(bad))
    with pytest.raises(ValueError, match='cannot decode image') as err:
        ds[idx]
    assert str(bad) in str(err.value)
    assert str(err.value).endswith('remove or replace the file')
    assert '\n' not in str(err.value)


def test_load_image_checked_ignore_empty(tmp_path):
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'')
    assert LoadImageChecked(ignore_empty=True)(dict(img_path=str(bad))) \
        is None
    with pytest.raises(FileNotFoundError):
        LoadImageChecked()(dict(img_path=str(tmp_path / 'missing.jpg')))
