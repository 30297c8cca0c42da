# Copyright (c) samix_mm contributors. All rights reserved.
"""What the tools do with a config before building the Runner."""
import os
import os.path as osp

import pytest
from mmengine.config import Config

from samix_mm.utils.tool_config import merge_cfg_options, set_work_dir

CIFAR10 = 'configs/samix/samix_resnet18_1xb100-400e_cifar10-folder.py'


@pytest.mark.parametrize('key,env', [('data_root', 'DATA_ROOT'),
                                     ('pretrained', 'PRETRAINED')])
def test_parse_time_variables_are_refused(key, env):
    cfg = Config(dict(data_root='a', pretrained='b'))
    with pytest.raises(ValueError) as info:
        merge_cfg_options(cfg, {key: '/x', 'model.depth': 18})
    message = str(info.value)
    assert '\n' not in message
    assert f'--cfg-options {key}=... has no effect' in message
    assert f'{env}=/x' in message
    assert cfg.to_dict() == dict(data_root='a', pretrained='b')  # untouched


def test_other_options_are_merged():
    cfg = Config(dict(model=dict(depth=50, width=1)))
    merge_cfg_options(cfg, {'model.depth': 18})
    merge_cfg_options(cfg, None)
    assert cfg.to_dict() == dict(model=dict(depth=18, width=1))


def test_data_root_reaches_every_dataloader_through_the_environment(
        monkeypatch):
    """The way that works, for the key that is refused above."""
    monkeypatch.setenv('DATA_ROOT', '/data/c10')
    cfg = Config.fromfile(CIFAR10)
    roots = {cfg[f'{split}_dataloader'].dataset.data_root
             for split in ('train', 'val', 'test')}
    assert roots == {'/data/c10'}


def test_work_dir_order(tmp_path):
    cfg = Config(dict())
    set_work_dir(cfg, None, 'configs/x/my_config.py')
    assert cfg.work_dir == osp.join('./work_dirs', 'my_config')
    set_work_dir(cfg, None, 'configs/x/other.py')  # the config's wins
    assert cfg.work_dir == osp.join('./work_dirs', 'my_config')
    set_work_dir(cfg, str(tmp_path), 'configs/x/other.py')
    assert cfg.work_dir == str(tmp_path)
    assert os.listdir(tmp_path) == []  # nothing written
