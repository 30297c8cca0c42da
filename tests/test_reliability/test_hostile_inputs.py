# Copyright (c) samix_mm contributors. All rights reserved.
"""Hostile and broken inputs stop with one line naming the file and fix."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from samix_mm.registry import DATASETS
from samix_mm.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')
FOLDER = osp.join(ROOT, 'tests', 'test_reliability', 'samix_folder_cfg.py')


def last_stderr_line(*args):
    """Run tools/train.py; return its exit code and last stderr line."""
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, 'tools/train.py', *args],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, proc.stderr.strip().splitlines()[-1]


class Payload:
    """Pickles to ``os.system('touch <marker>')``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_code_payload_checkpoint_is_refused(tmp_path):
    evil, marker = tmp_path / 'evil.pth', tmp_path / 'pwned'
    torch.save(dict(state_dict={}, meta=Payload(marker)), evil)
    code, last = last_stderr_line(TINY, '--work-dir', str(tmp_path / 'w'),
                                  '--resume', str(evil))
    assert code != 0 and not marker.exists()
    assert last.startswith('samix_mm.utils.safe_checkpoint.'
                           'UnsafeCheckpointError: refused to load '
                           f'checkpoint {evil}: it needs global '), last
    assert 'system' in last and 'fix:' in last


def test_truncated_checkpoint_is_named(tmp_path):
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict={'w': torch.zeros(1000)}), bad)
    bad.write_bytes(bad.read_bytes()[:300])
    code, last = last_stderr_line(TINY, '--work-dir', str(tmp_path / 'w'),
                                  '--resume', str(bad))
    assert code != 0
    assert last == ('samix_mm.utils.safe_checkpoint.CorruptCheckpointError: '
                    f'checkpoint {bad} is truncated or not a torch '
                    'checkpoint'), last


def image_folder(root, classes=('a', 'b'), per_class=4):
    for name in classes:
        os.makedirs(root / 'train' / name)
        for i in range(per_class):
            img = np.full((32, 32, 3), 40 * i, np.uint8)
            cv2.imwrite(str(root / 'train' / name / f'{i}.png'), img)


def test_zero_byte_image_stops_training_with_its_name(tmp_path):
    image_folder(tmp_path)
    bad = tmp_path / 'train' / 'b' / 'empty.png'
    bad.write_bytes(b'')
    code, last = last_stderr_line(
        FOLDER, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}',
        'train_dataloader.batch_size=9', 'train_cfg.max_epochs=1')
    assert code != 0
    assert last == (f'ValueError: cannot decode image {bad}: the file is '
                    'empty (0 bytes); remove or replace the file'), last


def build_error(cfg):
    with pytest.raises(ValueError) as err:
        DATASETS.build(cfg)
    msg = str(err.value)
    assert '\n' not in msg
    return msg


def test_empty_class_folder(tmp_path):
    image_folder(tmp_path, classes=('a', ))
    os.makedirs(tmp_path / 'train' / 'b')
    msg = build_error(dict(type='ImageFolder', data_root=str(tmp_path)))
    assert f'class folder {tmp_path}/train/b has no image' in msg
    assert msg.endswith('add images or remove the folder')


def tiny_imagenet(root, wnids=b'n01\n', val=b'0.JPEG\tn01\t0\t0\t1\t1\n'):
    os.makedirs(root / 'val' / 'images')
    (root / 'wnids.txt').write_bytes(wnids)
    (root / 'val' / 'val_annotations.txt').write_bytes(val)
    return dict(type='TinyImageNet', data_root=str(root), split='val')


@pytest.mark.parametrize('wnids,val,where,problem', [
    (b'', None, 'wnids.txt', 'lists no wnid'),
    (b'n01\nn01\n', None, 'wnids.txt', 'repeats a wnid'),
    (b'n01\n\xff\n', None, 'wnids.txt', 'is not UTF-8 text (byte 4)'),
    (None, b'0.JPEG\tn01\t0\n', 'val_annotations.txt:1',
     'expected 6 tab-separated fields'),
    (None, b'0.JPEG\tn01\t0\t0\t1\t1\n\xfe\n', 'val_annotations.txt',
     'is not UTF-8 text'),
])
def test_tiny_imagenet_bad_annotation_files(tmp_path, wnids, val, where,
                                            problem):
    kwargs = {k: v for k, v in dict(wnids=wnids, val=val).items()
              if v is not None}
    msg = build_error(tiny_imagenet(tmp_path, **kwargs))
    assert where in msg and problem in msg, msg


@pytest.mark.parametrize('content,problem', [
    ('{"images": [', 'is not valid json'),
    ('{"images": [{"id": 1}], "annotations": [{"image_id": 1, '
     '"category_id": 0}], "categories": [{"id": 0, "name": "a"}]}',
     "an entry lacks the key 'file_name'"),
    ('{"images": [], "annotations": [3], "categories": []}',
     'an entry is not an object'),
])
def test_inaturalist_bad_json(tmp_path, content, problem):
    (tmp_path / 'train.json').write_text(content)
    msg = build_error(dict(type='INaturalist', data_root=str(tmp_path),
                           ann_file='train.json'))
    assert f'{tmp_path}/train.json' in msg and problem in msg, msg
