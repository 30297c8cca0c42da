# Copyright (c) samix_mm contributors. All rights reserved.
"""Checkpoints that are complete or absent, and an auto-resume that skips
incomplete ones."""
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from samix_mm.fileio import (ATOMIC_BACKEND, TMP_NAME, atomic_write,
                             register_atomic_backend)
from samix_mm.registry import HOOKS


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` file (zip format).

    A file cut off while being written lacks the zip's central directory
    at its end; this only reads that directory, not the tensors.

    Args:
        path (str): The checkpoint file.

    Returns:
        bool: True if the file opens as a zip holding a ``data.pkl``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return any(
                name.endswith('data.pkl') for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` that never leaves a partial file.

    For a local ``out_dir`` (and no ``file_client_args``):

    * every checkpoint (also ``best_*.pth``) is written to a temporary file
      in the same folder and renamed into place, through the mmengine file
      backend ``'samix_atomic_local'``; so is ``work_dir/last_checkpoint``;
    * checkpoints beyond ``max_keep_ckpts`` are deleted *after* the new one
      is in place (mmengine deletes them before saving);
    * with ``resume=True`` and no checkpoint given (``--resume`` alone), the
      newest *complete* checkpoint is resumed: an unreadable or truncated
      file named by ``last_checkpoint`` is skipped with a warning, and the
      checkpoints are found even if ``last_checkpoint`` is missing;
    * stale temporary files of killed runs are removed before training.

    Other backends (e.g. ``out_dir='s3://...'``) behave as in mmengine. The
    arguments are those of :class:`mmengine.hooks.CheckpointHook`.
    """

    def _local(self, runner: Runner) -> bool:
        """Whether checkpoints go to a local folder (so they can be atomic).
        """
        out_dir = self.out_dir or runner.work_dir
        backend = (self.backend_args or {}).get('backend', 'local')
        return (self.file_client_args is None and '://' not in str(out_dir)
                and backend in ('local', ATOMIC_BACKEND))

    def _ckpt_dir(self, runner: Runner) -> str:
        """The checkpoint folder, as ``before_train`` of mmengine sets it.
        """
        if self.out_dir is None or self.out_dir == runner.work_dir:
            return runner.work_dir
        return osp.join(self.out_dir,
                        osp.basename(runner.work_dir.rstrip(osp.sep)))

    def before_run(self, runner: Runner) -> None:
        """Pick the newest complete checkpoint for ``--resume`` (auto).

        Args:
            runner (Runner): The runner of the training process.
        """
        if not (runner._resume and runner._load_from is None
                and self._local(runner)):
            return
        chosen = self.find_complete_checkpoint(runner)
        if chosen is not None:
            runner._load_from = chosen  # ``load_or_resume`` resumes it

    def find_complete_checkpoint(self, runner: Runner) -> Optional[str]:
        """The newest complete checkpoint of the run, or None.

        The file named by ``work_dir/last_checkpoint`` comes first, then the
        files matching ``filename_tmpl`` by decreasing step (only the steps
        before the named one: a higher step would be left over from an
        abandoned run). Called at ``before_run``, when ``out_dir`` is still
        the configured one.

        Args:
            runner (Runner): The runner of the training process.

        Returns:
            str, optional: The checkpoint to resume, None if there is none.
        """
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        candidates: List[str] = []
        if osp.isfile(pointer):
            with open(pointer, encoding='utf-8') as f:
                named = f.read().strip()
            if named:
                candidates.append(named)
        folder = osp.dirname(candidates[0]) if candidates else \
            self._ckpt_dir(runner)
        named_step = self._step_of(candidates[0]) if candidates else None
        candidates += [
            path for step, path in self._by_step(folder)
            if named_step is None or step < named_step
        ]
        for i, path in enumerate(candidates):
            if is_complete_checkpoint(path):
                log = runner.logger.warning if i else runner.logger.info
                log(f'resuming from {path}, the newest complete checkpoint')
                return path
            runner.logger.warning(
                f'skipped checkpoint {path}: it is missing, truncated or '
                'not a torch checkpoint (was the run killed while saving?)')
        if candidates:
            runner.logger.warning(
                f'no complete checkpoint in {folder}: training starts from '
                'scratch')
        return None

    def _step_of(self, path: str) -> Optional[int]:
        """The step in a file name made by ``filename_tmpl``, else None."""
        found = re.match(
            '^' + re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)') +
            '$', osp.basename(path))
        return int(found.group(1)) if found else None

    def _by_step(self, folder: str) -> List[Tuple[int, str]]:
        """``(step, path)`` of the files of ``folder`` that match
        ``filename_tmpl``, newest step first."""
        if not osp.isdir(folder):
            return []
        paths = [osp.join(folder, name) for name in os.listdir(folder)]
        return sorted(((self._step_of(path), path) for path in paths
                       if self._step_of(path) is not None),
                      reverse=True)

    def before_train(self, runner: Runner) -> None:
        """Use the atomic backend and remove stale temporary files.

        The backend is registered with mmengine here (idempotently), not
        when this module is imported.

        Args:
            runner (Runner): The runner of the training process.
        """
        if self._local(runner):
            register_atomic_backend()
            self.backend_args = dict(backend=ATOMIC_BACKEND)
        super().before_train(runner)
        if self._local(runner) and is_main_process():
            for folder in {runner.work_dir, str(self.out_dir)}:
                self._remove_stale_tmp(runner, folder)

    @staticmethod
    def _remove_stale_tmp(runner: Runner, folder: str) -> None:
        """Remove temporary files left by killed processes in ``folder``."""
        if not osp.isdir(folder):
            return
        for name in os.listdir(folder):
            found = TMP_NAME.match(name)
            if found and int(found.group(2)) != os.getpid():
                os.remove(osp.join(folder, name))
                runner.logger.warning(
                    f'removed {osp.join(folder, name)}, a partial file of '
                    'an interrupted save')

    def _save_checkpoint_with_step(self, runner: Runner, step: int,
                                   meta: dict) -> None:
        """Save atomically, point ``last_checkpoint`` to it, then prune.

        A copy of mmengine 0.10.7's private
        ``CheckpointHook._save_checkpoint_with_step`` with the pruning moved
        after the save and ``last_checkpoint`` written atomically;
        tests/test_engine/test_hooks/test_atomic_checkpoint_hook.py fails when
        mmengine's method changes, so that this copy is checked again.
        """
        if self.backend_args is None or \
                self.backend_args.get('backend') != ATOMIC_BACKEND:
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        stale = []
        if self.max_keep_ckpts > 0 and (not self.keep_ckpt_ids
                                        or self.keep_ckpt_ids[-1] != step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                stale.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(
            str(self.last_ckpt).encode('utf-8'),
            osp.join(runner.work_dir, 'last_checkpoint'))
        for old in stale:
            path = osp.join(self.out_dir, self.filename_tmpl.format(old))
            if osp.isfile(path):
                os.remove(path)
