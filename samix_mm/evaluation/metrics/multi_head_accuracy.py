# Copyright (c) samix_mm contributors. All rights reserved.
"""Top-k accuracy of every head of a multi-head model."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.evaluation import Accuracy

from samix_mm.registry import METRICS


@METRICS.register_module()
class MultiHeadAccuracy(BaseMetric):
    """Top-k accuracy of each head whose scores a model stores.

    SAMix predicts with four heads (``one_k``, ``mix_k``, ``one_q``,
    ``mix_q``) and stores ``pred_score_<head>`` in each data sample; this
    metric reports ``<prefix>/top1_<head>`` for each, plus the best head as
    ``<prefix>/top1`` (the number SAMix reports). The accuracy itself is
    mmpretrain's :meth:`Accuracy.calculate`.

    Args:
        heads (Sequence[str]): Head names. Defaults to the four SAMix heads.
        topk (Sequence[int]): The k of top-k. Defaults to ``(1, )``.
        collect_device (str): Device for collecting results across ranks.
            Defaults to 'cpu'.
        prefix (str): Metric name prefix. Defaults to 'accuracy'.
    """
    default_prefix = 'accuracy'

    def __init__(self,
                 heads: Sequence[str] = ('one_k', 'mix_k', 'one_q', 'mix_q'),
                 topk: Sequence[int] = (1, ),
                 collect_device: str = 'cpu',
                 prefix: str = 'accuracy'):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not heads:
            raise ValueError('MultiHeadAccuracy needs at least one head')
        self.heads = tuple(heads)
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            missing = [h for h in self.heads
                       if f'pred_score_{h}' not in sample]
            if missing:
                raise KeyError(
                    f'the model gave no pred_score_{missing[0]}; '
                    'MultiHeadAccuracy works with SAMixClassifier, use '
                    "dict(type='Accuracy') for other models")
            result = {h: sample[f'pred_score_{h}'].cpu() for h in self.heads}
            result['gt_label'] = sample['gt_label'].cpu()
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        target = torch.cat([r['gt_label'] for r in results])
        metrics = {}
        for head in self.heads:
            pred = torch.stack([r[head] for r in results])
            accs = Accuracy.calculate(pred, target, self.topk, thrs=(0., ))
            for k, acc in zip(self.topk, accs):
                metrics[f'top{k}_{head}'] = float(acc[0])
        for k in self.topk:
            metrics[f'top{k}'] = max(metrics[f'top{k}_{h}']
                                     for h in self.heads)
        return metrics
