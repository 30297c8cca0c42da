# Copyright (c) samix_mm contributors. All rights reserved.
"""Save pictures of what the Mixer mixes during training."""
import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model
from torch import nn

from samix_mm.registry import HOOKS
from samix_mm.visualization import (class_names, has_mixer,
                                    mixed_batch_grid, write_picture)


@HOOKS.register_module()
class MixerVisualizationHook(Hook):
    """Draw the current batch as the Mixer mixes it, every few iterations.

    After every ``interval``-th training iteration, and after the last one,
    the first ``num_samples`` images of that iteration's batch are drawn as
    rows ``[A | B (partner) | mask of A (heat map) | mixed]``, titled with
    the class names of A and B and λ
    (:func:`samix_mm.visualization.mixed_batch_grid`, the drawing of
    ``tools/analysis_tools/visualize_mixed_samples.py``). The picture goes
    to every backend of ``runner.visualizer`` as image ``mix_vis`` at step
    k (``LocalVisBackend``: ``<log_dir>/vis_data/vis_image/mix_vis_<k>.png``,
    Tensorboard, ...) and to ``work_dir/mix_vis/iter_<k>.png``, k being the
    iteration count of the logs (1-based). That path is logged and kept in
    :attr:`last_path`.

    Only rank 0 draws. The model runs in eval mode under ``no_grad``, and
    its train/eval flags and the python, numpy and torch random states are
    restored afterwards, so the training (and an exact resume) is the same
    with or without this hook.

    Args:
        interval (int): Draw every ``interval`` training iterations.
            Defaults to 500.
        num_samples (int): Rows of a picture (at most the batch size).
            Defaults to 8.
        lam (float): The mixing ratio λ shown. Defaults to 0.5.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 500,
                 num_samples: int = 8,
                 lam: float = 0.5) -> None:
        if int(interval) != interval or interval < 1:
            raise ValueError(f'interval must be an integer >= 1, got '
                             f'{interval}')
        if int(num_samples) != num_samples or num_samples < 1:
            raise ValueError(f'num_samples must be an integer >= 1, got '
                             f'{num_samples}')
        if not 0. <= lam <= 1.:
            raise ValueError(f'lam must be in [0, 1], got {lam}')
        self.interval = int(interval)
        self.num_samples = int(num_samples)
        self.lam = float(lam)
        self.last_path: Optional[str] = None

    @staticmethod
    def _model(runner: Runner) -> nn.Module:
        model = get_ori_model(runner.model)
        if not has_mixer(model):
            raise TypeError(
                f'MixerVisualizationHook needs a model with a Mixer '
                f'(SAMixClassifier, SAMixMoCo); {type(model).__name__} has '
                'none')
        return model

    def before_train(self, runner: Runner) -> None:
        """Fail early if the model cannot be drawn.

        Args:
            runner (Runner): The runner of the training process.
        """
        self._model(runner)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Draw the batch of this iteration if it is due.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): Index of the batch in the epoch.
            data_batch (dict, optional): The raw batch of this iteration.
            outputs (dict, optional): The losses of this iteration.
        """
        due = self.every_n_train_iters(runner, self.interval) or \
            self.is_last_train_iter(runner)
        if not due or runner.rank != 0 or data_batch is None:
            return
        picture = mixed_batch_grid(
            self._model(runner), data_batch, self.num_samples, self.lam,
            class_names(runner.train_dataloader.dataset))
        step = runner.iter + 1
        runner.visualizer.add_image('mix_vis', picture, step=step)
        path = osp.join(runner.work_dir, 'mix_vis', f'iter_{step}.png')
        write_picture(picture, path)
        self.last_path = path
        runner.logger.info(f'mixed samples (A | B | mask of A | mixed, '
                           f'lam={self.lam}) saved to {path}')
