# Copyright (c) samix_mm contributors. All rights reserved.
"""Helpers shared by the hook tests: a stub runner and short real runs.

The test files of this folder import it as ``hook_runs`` (pytest puts the
folder of a test file without ``__init__.py`` on ``sys.path``).
"""
import os.path as osp
from types import SimpleNamespace
from typing import Any, Callable, Iterable, List, Optional, Tuple, Union

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch import nn

from samix_mm.models.losses import MixMaskLoss

#: The repository root.
ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
#: The tiny SAMix config of the tool tests (narrow ResNet-18, generated
#: SyntheticShapes images).
TINY = osp.join(ROOT, 'tests', 'data', 'samix_tiny_synthetic.py')


# --------------------------------------------------------- stub runner
class StubModel(nn.Module):
    """What the momentum and anneal hooks need of a SAMix model; records
    the momentum of every EMA update."""

    def __init__(self, momentum: float = 0.99, loss_weight: float = 0.1):
        super().__init__()
        self.momentum = self.base_momentum = momentum
        self.mask_loss = MixMaskLoss(loss_weight=loss_weight)
        self.updates: List[float] = []

    def momentum_update(self) -> None:
        self.updates.append(self.momentum)


def runner_of(model: nn.Module,
              it: int = 0,
              max_iters: int = 100,
              wrap: bool = False) -> SimpleNamespace:
    """What the momentum and anneal hooks use of a Runner.

    Args:
        model (nn.Module): The model.
        it (int): ``runner.iter``. Defaults to 0.
        max_iters (int): ``runner.max_iters``. Defaults to 100.
        wrap (bool): Wrap the model in ``nn.DataParallel`` (a registered
            mmengine model wrapper; on CPU it just holds the module).
            Defaults to False.

    Returns:
        SimpleNamespace: The stub runner.
    """
    return SimpleNamespace(model=nn.DataParallel(model) if wrap else model,
                           iter=it, max_iters=max_iters)


# ------------------------------------------------------------ real runs
class Probe(Hook):
    """Record ``fn(runner)`` at one point of a real run.

    Registered with a priority above or below that of the hook under test
    (``runner.register_hook(probe, 'ABOVE_NORMAL')``), it sees the state
    right before or right after that hook at the same point.

    Args:
        point (str): ``'before_train_epoch'``, ``'before_train_iter'`` or
            ``'after_train_iter'``.
        fn (Callable): Called with the runner; its results are kept in
            :attr:`records`, in order.
    """

    def __init__(self, point: str, fn: Callable[[Runner], Any]) -> None:
        if point not in ('before_train_epoch', 'before_train_iter',
                         'after_train_iter'):
            raise ValueError(f'unsupported point {point}')
        self.point, self.fn = point, fn
        self.records: List[Any] = []

    def _record(self, point: str, runner: Runner) -> None:
        if point == self.point:
            self.records.append(self.fn(runner))

    def before_train_epoch(self, runner: Runner) -> None:
        self._record('before_train_epoch', runner)

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        self._record('before_train_iter', runner)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        self._record('after_train_iter', runner)


def tiny_samix_cfg(work_dir: str,
                   custom_hooks: List[dict],
                   experiment_name: Optional[str] = None) -> Config:
    """The tiny SAMix config shrunk to 4 iterations on CPU.

    2 epochs of 2 batches (32 generated images, batch 16), no validation,
    no checkpoint, exactly ``custom_hooks`` (those of the config dropped).

    Args:
        work_dir (str): The work directory.
        custom_hooks (list[dict]): The custom hooks of the run.
        experiment_name (str, optional): A name unique in the process
            (mmengine keeps one logger and message hub per name). Defaults
            to the name of ``work_dir``.

    Returns:
        Config: The config, for :func:`build_runner`.
    """
    cfg = Config.fromfile(TINY)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = experiment_name or \
        f'hooks_{osp.basename(str(work_dir))}'
    cfg.train_dataloader.dataset.num_samples = 32
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=100)
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = list(custom_hooks)
    return cfg


def build_runner(cfg: Config,
                 extra_hooks: Iterable[Tuple[Hook, Union[str, int]]] = ()
                 ) -> Runner:
    """``Runner.from_cfg(cfg)`` with more hook objects (e.g. probes).

    Args:
        cfg (Config): The config.
        extra_hooks (Iterable[tuple]): ``(hook, priority)`` pairs.

    Returns:
        Runner: The runner, not trained yet.
    """
    runner = Runner.from_cfg(cfg)
    for hook, priority in extra_hooks:
        runner.register_hook(hook, priority=priority)
    return runner


def find_hook(runner: Runner, hook_type: type) -> Hook:
    """The only hook of ``hook_type`` of ``runner``."""
    hook, = [h for h in runner.hooks if isinstance(h, hook_type)]
    return hook
