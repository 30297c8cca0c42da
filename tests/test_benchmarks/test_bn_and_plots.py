# Copyright (c) samix_mm contributors. All rights reserved.
"""benchmarks/bn_recalibration.py and benchmarks/plot_curves.py."""
import copy
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def load_script(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, 'benchmarks', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def bn_script():
    module = load_script('bn_recalibration')
    module.register_all_modules()
    return module


@pytest.fixture(scope='module')
def corrupt_ckpt(tmp_path_factory, bn_script):
    """A tiny SAMix checkpoint whose backbone_k.layer4 BN stats are junk."""
    torch.manual_seed(0)
    cfg = Config.fromfile(TINY)
    model_cfg = cfg.model.to_dict()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    from samix_mm.registry import MODELS
    model = MODELS.build(model_cfg)
    model.init_weights()
    for module in model.backbone_k.layer4.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.fill_(5.)
            module.running_var.fill_(100.)
            module.num_batches_tracked.fill_(1000)  # as after training
    path = tmp_path_factory.mktemp('ckpt') / 'corrupt.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def bn_inputs(model, bn, batches):
    """Per-batch mean and unbiased variance of ``bn``'s inputs, averaged
    over the batches (what a cumulative BN average computes)."""
    means, vars_ = [], []

    def hook(module, args):
        x = args[0].transpose(0, 1).flatten(1)
        means.append(x.mean(1))
        vars_.append(x.var(1, unbiased=True))

    handle = bn.register_forward_pre_hook(hook)
    model.eval()
    with torch.no_grad():
        for inputs in batches:
            model.backbone_k(inputs)
    handle.remove()
    return torch.stack(means).mean(0), torch.stack(vars_).mean(0)


def test_bn_recalibration_restores_clean_statistics(bn_script,
                                                    corrupt_ckpt):
    cfg = Config.fromfile(TINY)
    model = bn_script.load_model(cfg, corrupt_ckpt)
    _, train_loader = bn_script.build_loaders(cfg)
    late = bn_script.late_stages(model.backbone_k, model.mask_layer)
    assert late == ['layer4']
    num = 64  # 4 training batches of 16 clean images
    images = list(bn_script.batches(model, train_loader, num))
    assert sum(x.size(0) for x in images) == num

    # layer4's first BN: its input does not depend on layer4's statistics
    late_model = copy.deepcopy(model)
    assert bn_script.recalibrate_bn(late_model, train_loader, num,
                                    late) == 5  # 2 blocks + downsample
    bn = late_model.backbone_k.layer4[0].norm1
    mean, var = bn_inputs(model, model.backbone_k.layer4[0].norm1, images)
    torch.testing.assert_close(bn.running_mean, mean, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(bn.running_var, var, rtol=1e-4, atol=1e-5)
    assert float(bn.running_var.max()) < 50  # the junk 100 is gone
    assert bn.momentum is None and not bn.training
    # the stages fed clean images keep their statistics
    torch.testing.assert_close(late_model.backbone_k.layer1.state_dict(),
                               model.backbone_k.layer1.state_dict())
    # and the online encoder is untouched
    torch.testing.assert_close(late_model.backbone.state_dict(),
                               model.backbone.state_dict())

    # all BN layers: the stem BN gets the statistics of its inputs
    all_model = copy.deepcopy(model)
    assert bn_script.recalibrate_bn(all_model, train_loader, num) > 5
    mean, var = bn_inputs(model, model.backbone_k.norm1, images)
    stem = all_model.backbone_k.norm1
    torch.testing.assert_close(stem.running_mean, mean, rtol=1e-4,
                               atol=1e-5)
    torch.testing.assert_close(stem.running_var, var, rtol=1e-4, atol=1e-5)
    assert float(all_model.backbone_k.layer4[1].norm2.running_var.max()) \
        < 50


def test_bn_recalibration_table(bn_script, corrupt_ckpt, tmp_path):
    out = tmp_path / 'bn.json'
    table = bn_script.main([
        '--config', TINY, '--checkpoint', corrupt_ckpt, '--num-images',
        '48', '--out', str(out)
    ])
    result = json.loads(out.read_text())
    assert result['table'] == json.loads(json.dumps(table))
    rows = result['table']
    assert list(rows) == ['stored', 'recal_all', 'recal_late']
    assert rows['recal_late']['stages'] == ['layer4']
    for row in rows.values():
        assert {'one_k', 'mix_k', 'one_q'} <= set(row)
        assert 0 <= row['one_k'] <= 100
        # the online encoder is not re-estimated: same reference top-1
        assert row['one_q'] == rows['stored']['one_q']


def write_work_dir(root, epochs=3, iters_per_epoch=4, heads=True):
    """A fake mmengine work_dir with an older and a newer run folder."""
    old = root / '20240101_000000' / 'vis_data'
    old.mkdir(parents=True)
    (old / 'scalars.json').write_text('{"loss": 9.0, "iter": 1, "step": 1}\n')
    new = root / '20240102_000000' / 'vis_data'
    new.mkdir(parents=True)
    lines, it = [], 0
    for epoch in range(1, epochs + 1):
        for _ in range(iters_per_epoch):
            it += 1
            lines.append(dict(lr=0.1, loss=3. - 0.1 * it,
                              loss_mix_q=1.5 - 0.05 * it, loss_one_q=1.0,
                              epoch=epoch, iter=it, step=it))
        if heads:
            val = {f'accuracy/top1_{h}': 10. * epoch + i
                   for i, h in enumerate(('one_k', 'mix_k', 'one_q',
                                          'mix_q'))}
            val['accuracy/top1'] = max(val.values())
        else:
            val = {'accuracy/top1': 20. * epoch}
        lines.append(dict(val, data_time=0.01, time=0.1, step=epoch))
    (new / 'scalars.json').write_text(
        ''.join(json.dumps(line) + '\n' for line in lines))
    os.utime(old / 'scalars.json', (1, 1))  # the other one is newer
    return root


def run_plot(args):
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg')
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'benchmarks', 'plot_curves.py'),
         *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300)


def check_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 10_000  # axes, lines and a legend, not a blank
    with Image.open(path) as img:
        img.verify()


def test_plot_curves(tmp_path):
    runs = tmp_path / 'runs'
    write_work_dir(runs / 'samix')
    write_work_dir(runs / 'mixup', heads=False)
    out = tmp_path / 'plots'
    proc = run_plot([str(runs / 'samix'), f'base={runs / "mixup"}',
                     '--out-dir', str(out), '--smooth', '3', '--terms',
                     '--title', 'tiny'])
    assert proc.returncode == 0, proc.stderr
    for name in ('top1.png', 'loss.png'):
        check_png(out / name)
    # a folder of work_dirs
    out2 = tmp_path / 'plots2'
    proc = run_plot(['--glob', str(runs), '--out-dir', str(out2)])
    assert proc.returncode == 0, proc.stderr
    check_png(out2 / 'top1.png')
    check_png(out2 / 'loss.png')


def test_plot_curves_helpers(tmp_path):
    plot = load_script('plot_curves')
    path = plot.find_scalars(str(write_work_dir(tmp_path / 'run')))
    assert '20240102_000000' in path  # the newest run folder
    train, val = plot.read_scalars(path)
    assert len(train) == 12 and len(val) == 3
    assert val[-1]['step'] == 3
    np.testing.assert_allclose(plot.smooth(np.array([1., 3., 5., 7.]), 2),
                               [1., 2., 4., 6.])
    assert plot.parse_runs(['a/b/', 'x=c/d'], None) == {
        'b': 'a/b/', 'x': 'c/d'}


@pytest.mark.parametrize('names', ['today', 'old', 'single'])
def test_plot_curves_draws_each_head_once(names):
    """The answer (``accuracy/top1``, one_k) and ``accuracy/top1_best``
    repeat a head and are not drawn again; a single-head run draws
    ``accuracy/top1``."""
    plot = load_script('plot_curves')
    heads = {f'accuracy/top1_{h}': 10. + i
             for i, h in enumerate(('mix_q', 'one_q', 'mix_k', 'one_k'))}
    row = dict(today={**heads, 'accuracy/top1': 13.,
                      'accuracy/top1_best': 13.},
               old={**heads, 'accuracy/top1': 13.},
               single={'accuracy/top1': 5.})[names]
    expected = ['accuracy/top1'] if names == 'single' else [
        f'accuracy/top1_{h}' for h in ('one_k', 'mix_k', 'one_q', 'mix_q')]
    assert plot.top1_keys([dict(row, step=1)]) == expected


def test_plot_curves_missing_scalars(tmp_path):
    write_work_dir(tmp_path / 'good')
    empty = tmp_path / 'not_a_run'
    empty.mkdir()
    proc = run_plot([str(tmp_path / 'good'), str(empty), '--out-dir',
                     str(tmp_path / 'plots')])
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'not_a_run' in lines[0], proc.stderr
    assert 'scalars.json' in lines[0]
    assert not (tmp_path / 'plots').exists()
