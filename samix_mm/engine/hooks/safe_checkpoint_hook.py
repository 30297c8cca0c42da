# Copyright (c) samix_mm contributors. All rights reserved.
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from samix_mm.registry import HOOKS
from samix_mm.utils.safe_checkpoint import (from_plain_message_hub, to_plain,
                                            to_plain_message_hub)


def _plain_rng_state() -> dict:
    """The random states of python, numpy and torch as plain data."""
    version, mt_state, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state = dict(
        python=[version, list(mt_state), gauss],
        numpy=[name, keys.tolist(), pos, has_gauss, cached],
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng_state(state: dict) -> None:
    """Set the random states saved by :func:`_plain_rng_state`."""
    version, mt_state, gauss = state['python']
    random.setstate((version, tuple(mt_state), gauss))
    name, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state(
        (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if torch.cuda.is_available() and 'cuda' in state:
        for device, cuda_state in enumerate(
                state['cuda'][:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, device)


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Save checkpoints as plain data and restore random states on resume.

    Before saving, the message hub becomes plain python data (no pickled
    ``HistoryBuffer`` methods), numpy scalars of ``meta`` become python
    numbers and the random states of python, numpy, torch and CUDA are stored
    under ``checkpoint['rng_state']``. Such a checkpoint loads with
    ``torch.load(..., weights_only=True)`` and the small numpy allow-list of
    :func:`samix_mm.utils.safe_load`.

    After loading, the message hub is turned back into ``HistoryBuffer``
    objects, so ``Runner.resume`` restores the logged scalars. When resuming,
    the random states are set at ``before_train``, right before the train
    loop goes on: ``Runner.resume`` may re-seed everything after loading (when
    the config's seed differs from the checkpoint's), which would undo them.

    Note:
        The states are those of the saving process (rank 0). They are not
        restored when ``randomness.diff_rank_seed`` is set with several
        processes, since every rank would then draw the same numbers. An
        ``IterBasedTrainLoop`` re-reads the skipped batches on resume; random
        transforms in the main process or a new epoch's ``DataLoader`` during
        that skip draw from the restored states.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._rng_state: Optional[dict] = None

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Make the checkpoint plain data and add the random states.

        Args:
            runner (Runner): The runner of the training process.
            checkpoint (dict): The checkpoint about to be saved.
        """
        checkpoint['message_hub'] = to_plain_message_hub(
            checkpoint['message_hub'])
        # ``Runner.resume`` compares the pickled ``dataset_meta`` with the
        # dataset's, so it is kept as is (its numpy values are allowed).
        checkpoint['meta'] = {
            key: value if key == 'dataset_meta' else to_plain(value)
            for key, value in checkpoint['meta'].items()
        }
        checkpoint['rng_state'] = _plain_rng_state()

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Rebuild the message hub and keep the random states to restore.

        Args:
            runner (Runner): The runner of the training process.
            checkpoint (dict): The loaded checkpoint.
        """
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain_message_hub(
                checkpoint['message_hub'])
        if not getattr(runner, '_resume', False) or \
                'rng_state' not in checkpoint:
            return
        if runner.world_size > 1 and runner._randomness_cfg.get(
                'diff_rank_seed', False):
            runner.logger.warning(
                'random states are not restored: the checkpoint holds those '
                'of rank 0 only and randomness.diff_rank_seed is set')
            return
        self._rng_state = checkpoint['rng_state']

    def before_train(self, runner: Runner) -> None:
        """Restore the random states of the checkpoint being resumed.

        Args:
            runner (Runner): The runner of the training process.
        """
        if self._rng_state is not None:
            _restore_rng_state(self._rng_state)
            self._rng_state = None
            runner.logger.info('restored the random states of the checkpoint')
