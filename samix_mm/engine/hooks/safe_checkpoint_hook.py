# Copyright (c) samix_mm contributors. All rights reserved.
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop, Runner

from samix_mm.registry import HOOKS
from samix_mm.utils.rng_state import get_rng_state, set_rng_state
from samix_mm.utils.safe_checkpoint import (from_plain_message_hub, to_plain,
                                            to_plain_message_hub)


class _RestoreAfterSkip:
    """Wrap a train loop's data iterator: set the random states right before
    the first batch that follows the ``skip`` batches a resumed
    ``IterBasedTrainLoop`` re-reads."""

    def __init__(self, loop, skip: int, state: dict) -> None:
        self.loop, self.skip, self.state = loop, skip, state
        self.iterator = loop.dataloader_iterator

    def __iter__(self):
        return self

    def __next__(self):
        if self.skip == 0:
            set_rng_state(self.state)
            self.loop.dataloader_iterator = self.iterator  # unwrap
        self.skip -= 1
        return next(self.iterator)


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
    An ``IterBasedTrainLoop`` re-reads the batches it already trained on when
    it resumes; there the states are set after that skip, right before the
    first new batch is read.

    Validation leaves the random states as it found them (they are kept at
    ``before_val`` and set back at ``after_val``): training does not depend
    on how often it is validated, and a run resumed from a checkpoint saved
    right before a validation goes on exactly as the uninterrupted run.

    Note:
        The states are those of the saving process (rank 0). They are not
        restored when ``randomness.diff_rank_seed`` is set with several
        processes, since every rank would then draw the same numbers. Data
        workers (``num_workers > 0``) are seeded by mmengine from the config
        seed when they start, so ``persistent_workers=True`` (workers that
        outlive an epoch) makes a resumed run differ.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._rng_state: Optional[dict] = None
        self._train_rng_state: Optional[dict] = None

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
        # during validation (e.g. the best checkpoint) keep training's
        checkpoint['rng_state'] = self._train_rng_state or get_rng_state()

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
        if self._rng_state is None:
            return
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop) and loop.iter > 0:
            loop.dataloader_iterator = _RestoreAfterSkip(
                loop, loop.iter, self._rng_state)
            runner.logger.info('the random states of the checkpoint will be '
                               f'restored after {loop.iter} skipped batches')
        else:
            set_rng_state(self._rng_state)
            runner.logger.info('restored the random states of the checkpoint')
        self._rng_state = None

    def before_val(self, runner: Runner) -> None:
        """Keep the random states of training.

        Args:
            runner (Runner): The runner of the training process.
        """
        self._train_rng_state = get_rng_state()

    def after_val(self, runner: Runner) -> None:
        """Set back the random states kept by :meth:`before_val`.

        Args:
            runner (Runner): The runner of the training process.
        """
        if self._train_rng_state is not None:
            set_rng_state(self._train_rng_state)
            self._train_rng_state = None
