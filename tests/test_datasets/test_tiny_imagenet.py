# Copyright (c) samix_mm contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from samix_mm.datasets import TinyImageNet

WNIDS = ('n01443537', 'n01629819', 'n01641577')


def _jpg(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.zeros((64, 64, 3), np.uint8))


def make_tiny(root, val_rows=None):
    (root / 'wnids.txt').write_text('\n'.join(WNIDS) + '\n')
    (root / 'words.txt').write_text('n00001740\tentity\n'
                                    'n01443537\tgoldfish, Carassius auratus\n'
                                    'n01629819\tEuropean fire salamander\n'
                                    'n01641577\tbullfrog, Rana catesbeiana\n')
    for wnid in WNIDS:
        for i in range(2):
            _jpg(root / 'train' / wnid / 'images' / f'{wnid}_{i}.JPEG')
        (root / 'train' / wnid / f'{wnid}_boxes.txt').write_text('')
    if val_rows is None:
        val_rows = [
            f'val_{i}.JPEG\t{WNIDS[i % 3]}\t0\t1\t60\t62' for i in range(4)
        ]
    for i in range(4):
        _jpg(root / 'val' / 'images' / f'val_{i}.JPEG')
    (root / 'val' / 'val_annotations.txt').write_text('\n'.join(val_rows) +
                                                      '\n')
    _jpg(root / 'test' / 'images' / 'test_0.JPEG')
    return root


PIPELINE = [dict(type='LoadImageChecked'), dict(type='PackInputs')]


def test_train_split(tmp_path):
    ds = TinyImageNet(str(make_tiny(tmp_path)), pipeline=PIPELINE)
    assert len(ds) == 6
    assert list(ds.get_gt_labels()) == [0, 0, 1, 1, 2, 2]
    assert ds.metainfo['classes'][0] == 'goldfish, Carassius auratus'
    assert tuple(ds[5]['inputs'].shape) == (3, 64, 64)


def test_val_and_test_splits(tmp_path):
    root = str(make_tiny(tmp_path))
    val = TinyImageNet(root, split='val', test_mode=True)
    assert list(val.get_gt_labels()) == [0, 1, 2, 0]
    assert val.get_data_info(1)['img_path'].endswith('val/images/val_1.JPEG')
    test = TinyImageNet(root, split='test', test_mode=True)
    assert len(test) == 1 and 'gt_label' not in test.get_data_info(0)


@pytest.mark.parametrize('row, match', [
    ('val_9.JPEG\tn01443537\t0\t1', 'expected 6 tab-separated fields'),
    ('val_9.JPEG n01443537 0 1 60 62', 'expected 6 tab-separated fields'),
    ('val_9.JPEG\tn99999999\t0\t1\t60\t62', 'not in wnids.txt'),
    ('val_9.JPEG\tn01443537\t0\ta\t60\t62', 'not 4 integers'),
])
def test_bad_val_row_names_file_and_line(tmp_path, row, match):
    rows = ['val_0.JPEG\tn01443537\t0\t1\t60\t62', row]
    root = make_tiny(tmp_path, val_rows=rows)
    with pytest.raises(ValueError, match=match) as err:
        TinyImageNet(str(root), split='val')
    assert 'val_annotations.txt:2:' in str(err.value)
    assert '\n' not in str(err.value)


def test_bad_root_and_split(tmp_path):
    with pytest.raises(ValueError, match='no wnids.txt'):
        TinyImageNet(str(tmp_path))
    with pytest.raises(ValueError, match='split='):
        TinyImageNet(str(tmp_path), split='trainval')
    root = make_tiny(tmp_path)
    for f in (root / 'train' / WNIDS[1] / 'images').iterdir():
        f.unlink()
    with pytest.raises(ValueError, match=f'no images in .*{WNIDS[1]}'):
        TinyImageNet(str(root))
