# Copyright (c) samix_mm contributors. All rights reserved.
"""mmpretrain's model APIs and analysis tool on samix_mm configs.

SAMix, a plain ImageClassifier with mixup and SAMix^P (an ImageClassifier
whose batches the Mixer exported from the SAMix run mixes) are each trained
for one iteration through mmengine's Runner; mmpretrain's ``get_model``,
``inference_model``, ``ImageClassificationInferencer`` and
``tools/analysis_tools/get_flops.py`` then load those configs and
checkpoints, as does ``demo/image_demo.py``.
"""
import glob
import os
import os.path as osp
import re
import runpy
import subprocess
import sys

import mmcv
import mmpretrain
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain import ImageClassificationInferencer
from modelindex.load_model_index import load as load_model_index

from samix_mm.converters import export_mixer
from samix_mm.datasets.synthetic_shapes import SHAPES
from samix_mm.utils import register_all_modules, safe_load
from samix_mm.utils.model_index import MODEL_INDEX

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NAMES = dict(samix='samix_resnet18-w32_1xb64-15e_synthetic-shapes',
             mixup='resnet18-w32_1xb64-mixup-15e_synthetic-shapes',
             samixp='resnet18-w32_1xb64-samixp-15e_synthetic-shapes')
CONFIGS = dict(samix=osp.join(ROOT, 'configs', 'samix',
                              NAMES['samix'] + '.py'),
               mixup=osp.join(ROOT, 'configs', 'mixup_baselines',
                              NAMES['mixup'] + '.py'),
               samixp=osp.join(ROOT, 'configs', 'samixp',
                               NAMES['samixp'] + '.py'))
TYPES = dict(samix='SAMixClassifier',
             mixup='ImageClassifier',
             samixp='ImageClassifier')
CLASSES = tuple(SHAPES)[:10]
# where the SAMix^P config looks for the Mixer, relative to the cwd
MIXER_FILE = osp.join('work_dirs', 'samixp', 'mixer_synthetic.pth')
KINDS = list(NAMES)


def train_one_iteration(key: str, work_dir: str) -> str:
    """Train ``CONFIGS[key]`` for one iteration of 16 images."""
    cfg = Config.fromfile(CONFIGS[key])
    cfg.work_dir = work_dir
    cfg.merge_from_dict({
        'train_dataloader.batch_size': 16,
        'train_dataloader.num_workers': 0,
        'train_dataloader.dataset.num_samples': 16,
        'val_dataloader.num_workers': 0,
        'val_dataloader.dataset.num_samples': 16,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 1,
    })
    cfg.test_dataloader = cfg.val_dataloader
    cfg.custom_hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h['type'] != 'MixerVisualizationHook'
    ]
    Runner.from_cfg(cfg).train()
    return osp.join(work_dir, 'epoch_1.pth')


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory) -> str:
    """A folder with a checkpoint of each config and the SAMix^P Mixer at
    the config's default path."""
    root = str(tmp_path_factory.mktemp('runs'))
    register_all_modules(init_default_scope=False)
    samix = train_one_iteration('samix', osp.join(root, 'samix'))
    os.makedirs(osp.join(root, osp.dirname(MIXER_FILE)))
    torch.save(export_mixer(safe_load(samix)), osp.join(root, MIXER_FILE))
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for key in ('mixup', 'samixp'):
            train_one_iteration(key, osp.join(root, key))
    finally:
        os.chdir(cwd)
    return root


@pytest.fixture
def ckpts(run_dir, monkeypatch) -> dict:
    """The checkpoints; the cwd is ``run_dir`` (for the SAMix^P Mixer)."""
    monkeypatch.chdir(run_dir)
    return {key: osp.join(run_dir, key, 'epoch_1.pth') for key in KINDS}


@pytest.fixture(scope='module')
def img(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp('img') / 'img.png')
    rng = np.random.default_rng(0)
    mmcv.imwrite(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), path)
    return path


def samix_mm_configs() -> list:
    """(path, config) of every config whose default scope is samix_mm."""
    configs = []
    for path in sorted(
            glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                      recursive=True)):
        if '_base_' not in path:
            cfg = Config.fromfile(path)
            if cfg.get('default_scope') == 'samix_mm':
                configs.append((path, cfg))
    return configs


def indexed_models() -> list:
    """(name, config, tasks) of every model of model-index.yml, read through
    the metafiles it imports as mmpretrain reads it."""
    index = load_model_index(MODEL_INDEX)
    index.build_models_with_collections()
    return [(m.name, m.config, {r.task for r in m.results or []})
            for m in index.models]


def test_configs_carry_scope_and_classifiers_are_indexed():
    """Every model is built in the samix_mm scope by whoever builds it;
    every config of that scope is in model-index.yml, the classification
    configs (and only they) with the task mmpretrain's inferencers need."""
    configs, classifiers = set(), set()
    for path, cfg in samix_mm_configs():
        assert cfg.model.get('_scope_') == 'samix_mm', path
        entry = (osp.splitext(osp.basename(path))[0], osp.relpath(path, ROOT))
        configs.add(entry)
        if cfg.model.type in ('SAMixClassifier', 'ImageClassifier',
                              'ManifoldMixClassifier',
                              'PuzzleMixClassifier',
                              'TransMixClassifier'):
            classifiers.add(entry)
    index = indexed_models()
    assert {(name, config) for name, config, _ in index} == configs
    assert {(name, config)
            for name, config, tasks in index
            if tasks == {'Image Classification'}} == classifiers
    assert set(NAMES.values()) <= set(mmpretrain.list_models('*synthetic*'))


def test_inferencer_pipelines_of_all_classifiers():
    """mmpretrain's inferencers build the test pipeline in their scope and
    feed it decoded images (they drop only ``LoadImageFromFile``)."""
    image = np.zeros((40, 48, 3), dtype=np.uint8)
    for name, config, tasks in indexed_models():
        if 'Image Classification' not in tasks:
            continue  # self-supervised pre-training: no inferencer
        cfg = Config.fromfile(osp.join(ROOT, config))
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            # the inferencer's own method; it does not use ``self``
            pipeline = ImageClassificationInferencer._init_pipeline(None, cfg)
        out = pipeline(dict(img=image, img_shape=(40, 48), ori_shape=(40, 48)))
        assert out['inputs'].shape[0] == 3, name


def test_without_scope_mmpretrain_cannot_build():
    """The failure ``_scope_`` fixes: mmpretrain builds in its own scope."""
    cfg = Config.fromfile(CONFIGS['samix'])
    del cfg.model['_scope_']
    with pytest.raises(KeyError,
                       match='SAMixClassifier is not in the '
                       'mmpretrain::model registry'):
        mmpretrain.get_model(cfg)


def test_checkpoints_hold_class_names(ckpts):
    for key in KINDS:
        meta = safe_load(ckpts[key])['meta']
        assert tuple(meta['dataset_meta']['classes']) == CLASSES, key


@pytest.mark.parametrize('key', KINDS)
def test_get_model_loads_weights_and_classes(key, ckpts):
    model = mmpretrain.get_model(CONFIGS[key],
                                 pretrained=ckpts[key],
                                 device='cpu')
    assert type(model).__name__ == TYPES[key]
    assert tuple(model._dataset_meta['classes']) == CLASSES
    state = safe_load(ckpts[key])['state_dict']
    for name, value in model.state_dict().items():
        assert torch.equal(value, state[name]), name
    if key == 'samixp':  # SAMix^P's Mixer mixes the training batches
        augments = model.data_preprocessor.batch_augments.augments
        assert [type(a).__name__ for a in augments] == ['SAMixP']


@pytest.mark.parametrize('key', KINDS)
def test_inference_model_by_name(key, ckpts, img):
    model = mmpretrain.get_model(NAMES[key],
                                 pretrained=ckpts[key],
                                 device='cpu')
    result = mmpretrain.inference_model(model, img)
    assert result['pred_class'] == CLASSES[result['pred_label']]
    assert result['pred_label'] == int(np.argmax(result['pred_scores']))
    assert 0 < result['pred_score'] <= 1


@pytest.mark.parametrize('key', KINDS)
def test_inferencer_from_config(key, ckpts, img):
    inferencer = ImageClassificationInferencer(model=CONFIGS[key],
                                               pretrained=ckpts[key],
                                               device='cpu')
    result = inferencer(img)[0]
    assert result['pred_class'] == CLASSES[result['pred_label']]
    # the prediction of the model in tensor mode on the same input
    data = inferencer.model.data_preprocessor(
        next(inferencer.preprocess([img])), False)
    with torch.no_grad():
        logits = inferencer.model(data['inputs'], mode='tensor')
    np.testing.assert_allclose(result['pred_scores'],
                               logits.softmax(-1)[0].numpy(),
                               atol=1e-5)


@pytest.mark.parametrize('key', KINDS)
def test_get_flops_tool(key, ckpts, capsys, monkeypatch):
    tool = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                    'analysis_tools', 'get_flops.py')
    monkeypatch.setattr(sys, 'argv', [tool, CONFIGS[key], '--shape', '32'])
    runpy.run_path(tool, run_name='__main__')
    out = capsys.readouterr().out
    assert 'Input shape: (3, 32, 32)' in out and 'Flops: ' in out


def run(code_or_args: list) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.setdefault('OMP_NUM_THREADS', '1')
    return subprocess.run([sys.executable, *code_or_args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_fresh_process_needs_no_samix_mm_import(ckpts):
    """A bare ``mmpretrain.get_model`` imports samix_mm through the config's
    scope, and so loads the checkpoint through samix_mm's allow-list."""
    code = '\n'.join([
        'import sys, mmpretrain',
        'from mmengine.runner.checkpoint import CheckpointLoader',
        "assert 'samix_mm' not in sys.modules",
        f'model = mmpretrain.get_model({CONFIGS["samix"]!r}, '
        f'pretrained={ckpts["samix"]!r})',
        "print(CheckpointLoader._schemes[''].__name__)",
        "print(list(model._dataset_meta['classes']))",
    ])
    proc = run(['-c', code])
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[-2:] == ['load_from_safe_local', str(list(CLASSES))]


def test_image_demo(ckpts, img):
    proc = run([
        'demo/image_demo.py', img, CONFIGS['samix'], ckpts['samix'],
        '--device', 'cpu'
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    # after mmpretrain's progress bar, which ends without a newline
    found = re.search(
        rf'{re.escape(img)}: (\w+) \(label (\d+), score '
        r'(0\.\d{4})\)$', proc.stdout.strip())
    assert found, proc.stdout[-1000:]
    assert found[1] == CLASSES[int(found[2])] and float(found[3]) > 0
    assert 'safe_local' in proc.stdout + proc.stderr
