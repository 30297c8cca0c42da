# Copyright (c) samix_mm contributors. All rights reserved.
"""Top-k accuracy of a multi-head model: its answer and every head."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.evaluation import Accuracy

from samix_mm.models.classifiers.samix_classifier import BRANCHES
from samix_mm.registry import METRICS


@METRICS.register_module()
class MultiHeadAccuracy(BaseMetric):
    """Top-k accuracy of the model's answer and of each head it scores.

    SAMix predicts with four heads (``one_k``, ``mix_k``, ``one_q``,
    ``mix_q``): its answer ``pred_score`` is the ``one_k`` head's (the
    momentum encoder, the one exported), and every head's scores are
    stored as ``pred_score_<head>``. The metric reports:

    * ``<prefix>/top{k}``: the answer, computed from ``pred_score`` as
      mmpretrain's ``Accuracy`` does, so it equals what ``tools/test.py
      --out`` dumps and mmpretrain's ``eval_metric.py`` computes,
    * ``<prefix>/top{k}_<head>``: each head,
    * ``<prefix>/top{k}_best``: the best head (the number the original
      SAMix code reports).

    The accuracy itself is mmpretrain's :meth:`Accuracy.calculate`.

    Args:
        heads (Sequence[str]): Head names. Defaults to the four SAMix heads.
        topk (Sequence[int]): The k of top-k. Defaults to ``(1, )``.
        collect_device (str): Device for collecting results across ranks.
            Defaults to 'cpu'.
        prefix (str): Metric name prefix. Defaults to 'accuracy'.
    """
    default_prefix = 'accuracy'
    #: The model's answer among the results (mmpretrain's name).
    answer = 'pred_score'

    def __init__(self,
                 heads: Sequence[str] = BRANCHES,
                 topk: Sequence[int] = (1, ),
                 collect_device: str = 'cpu',
                 prefix: str = 'accuracy'):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not heads:
            raise ValueError('MultiHeadAccuracy needs at least one head')
        self.heads = tuple(heads)
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the answer's, every head's scores and the label."""
        fields = [self.answer] + [f'pred_score_{h}' for h in self.heads]
        for sample in data_samples:
            missing = [f for f in fields if f not in sample]
            if missing:
                raise KeyError(
                    f'the model gave no {missing[0]}; MultiHeadAccuracy '
                    'works with SAMixClassifier, use '
                    "dict(type='Accuracy') for other models")
            result = {f: sample[f].cpu() for f in fields}
            result['gt_label'] = sample['gt_label'].cpu()
            self.results.append(result)

    def _topk(self, results: List[dict], field: str,
              target: torch.Tensor) -> List[float]:
        """Top-k accuracies (one per k) of the scores in ``field``."""
        pred = torch.stack([r[field] for r in results])
        accs = Accuracy.calculate(pred, target, self.topk, thrs=(0., ))
        return [float(acc[0]) for acc in accs]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """``top{k}`` (answer), ``top{k}_<head>`` and ``top{k}_best``."""
        target = torch.cat([r['gt_label'] for r in results])
        metrics = dict(
            zip((f'top{k}' for k in self.topk),
                self._topk(results, self.answer, target)))
        for head in self.heads:
            accs = self._topk(results, f'pred_score_{head}', target)
            metrics.update(
                zip((f'top{k}_{head}' for k in self.topk), accs))
        for k in self.topk:
            metrics[f'top{k}_best'] = max(metrics[f'top{k}_{h}']
                                          for h in self.heads)
        return metrics
