# Copyright (c) samix_mm contributors. All rights reserved.
import pytest
import torch
from mmpretrain.structures import DataSample

from samix_mm.evaluation import MultiHeadAccuracy


def sample(label, scores):
    s = DataSample().set_gt_label(label)
    for head, score in scores.items():
        s.set_field(torch.tensor(score), f'pred_score_{head}')
    return s.to_dict()


def test_accuracy_per_head_and_best():
    metric = MultiHeadAccuracy(heads=('one_k', 'mix_q'))
    metric.process(None, [
        sample(0, dict(one_k=[.9, .1], mix_q=[.2, .8])),
        sample(1, dict(one_k=[.6, .4], mix_q=[.3, .7])),
    ])
    result = metric.evaluate(2)
    assert result['accuracy/top1_one_k'] == pytest.approx(50.)
    assert result['accuracy/top1_mix_q'] == pytest.approx(50.)
    metric.process(None, [sample(1, dict(one_k=[.1, .9], mix_q=[.1, .9]))])
    result = metric.evaluate(1)
    assert result['accuracy/top1'] == pytest.approx(100.)


def test_missing_head_is_explained():
    metric = MultiHeadAccuracy(heads=('one_k', ))
    with pytest.raises(KeyError, match="type='Accuracy'"):
        metric.process(None, [sample(0, dict(mix_q=[1., 0.]))])
