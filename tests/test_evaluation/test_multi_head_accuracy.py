# Copyright (c) samix_mm contributors. All rights reserved.
import pytest
import torch
from mmpretrain.structures import DataSample

from samix_mm.evaluation import MultiHeadAccuracy


def sample(label, scores, answer='one_k'):
    """A predicted sample whose answer (``pred_score``) is ``answer``'s."""
    s = DataSample().set_gt_label(label)
    for head, score in scores.items():
        s.set_field(torch.tensor(score), f'pred_score_{head}')
    if answer in scores:
        s.set_pred_score(torch.tensor(scores[answer]))
    return s.to_dict()


def test_answer_per_head_and_best():
    metric = MultiHeadAccuracy(heads=('one_k', 'mix_q'))
    metric.process(None, [
        sample(0, dict(one_k=[.9, .1], mix_q=[.2, .8])),
        sample(1, dict(one_k=[.6, .4], mix_q=[.3, .7])),
    ])
    result = metric.evaluate(2)
    assert result == pytest.approx({
        'accuracy/top1': 50.,  # the answer, one_k's scores
        'accuracy/top1_one_k': 50.,
        'accuracy/top1_mix_q': 50.,
        'accuracy/top1_best': 50.,
    })
    metric.process(None, [sample(1, dict(one_k=[.9, .1], mix_q=[.1, .9]))])
    result = metric.evaluate(1)
    assert result['accuracy/top1'] == result['accuracy/top1_one_k'] == 0.
    assert result['accuracy/top1_best'] == pytest.approx(100.)


def test_answer_is_pred_score_not_a_head():
    metric = MultiHeadAccuracy(heads=('one_k', 'mix_q'), topk=(1, 2))
    metric.process(None, [
        sample(0, dict(one_k=[.1, .9], mix_q=[.9, .1]), answer='mix_q')])
    result = metric.evaluate(1)
    assert result['accuracy/top1'] == pytest.approx(100.)
    assert result['accuracy/top1_one_k'] == 0.
    assert result['accuracy/top2'] == result['accuracy/top2_best'] == 100.


@pytest.mark.parametrize('field', ['pred_score_one_k', 'pred_score'])
def test_missing_scores_are_explained(field):
    metric = MultiHeadAccuracy(heads=('one_k', ))
    done = sample(0, dict(one_k=[1., 0.]))
    del done[field]
    with pytest.raises(KeyError, match=f"no {field}; .*type='Accuracy'"):
        metric.process(None, [done])
