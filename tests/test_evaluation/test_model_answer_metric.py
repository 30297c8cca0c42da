# Copyright (c) samix_mm contributors. All rights reserved.
"""``accuracy/top1`` of a SAMix run is the model's answer: the number that
``tools/test.py --out preds.pkl`` followed by mmpretrain's
``eval_metric.py`` (``Accuracy`` on the dumped ``pred_score``) gives."""
import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from samix_mm.utils import register_all_modules


def predict_class(head, label: int) -> None:
    """Make a linear head answer ``label`` for every image."""
    with torch.no_grad():
        head.fc.weight.zero_()
        head.fc.bias.fill_(-1.).data[label] = 1.


def test_logged_top1_is_the_accuracy_of_pred_score(tmp_path):
    register_all_modules()
    cfg = Config.fromfile('tests/data/samix_tiny_synthetic.py')
    cfg.work_dir = str(tmp_path)
    preds = str(tmp_path / 'preds.pkl')
    cfg.test_evaluator = [
        cfg.test_evaluator,
        dict(type='DumpResults', out_file_path=preds)
    ]
    runner = Runner.from_cfg(cfg)
    labels = runner.test_loop.dataloader.dataset.get_gt_labels()
    counts = np.bincount(labels, minlength=10)
    # the model's answer (one_k) is the rarest class, mix_k the commonest:
    # the best head is not the answer
    predict_class(runner.model.head_one_k, int(counts.argmin()))
    predict_class(runner.model.head_mix_k, int(counts.argmax()))
    metrics = runner.test()

    # what mmpretrain's eval_metric.py computes from preds.pkl
    offline = Evaluator(dict(type='Accuracy', topk=(1, )))
    from_pkl = offline.offline_evaluate(mmengine.load(preds), None)
    answer = 100. * counts.min() / counts.sum()
    assert from_pkl['accuracy/top1'] == pytest.approx(answer)
    assert metrics['accuracy/top1'] == pytest.approx(from_pkl['accuracy/top1'])
    assert metrics['accuracy/top1_one_k'] == pytest.approx(answer)
    assert metrics['accuracy/top1_mix_k'] == pytest.approx(
        100. * counts.max() / counts.sum())
    heads = ('one_k', 'mix_k', 'one_q', 'mix_q')
    assert metrics['accuracy/top1_best'] == max(
        metrics[f'accuracy/top1_{h}'] for h in heads)
    assert metrics['accuracy/top1_best'] > metrics['accuracy/top1']
