# Copyright (c) samix_mm contributors. All rights reserved.
"""Train a model: ``python tools/train.py CONFIG [options]``."""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)

from samix_mm.utils import register_all_modules
from samix_mm.utils.config_errors import config_errors_in_one_line
from samix_mm.utils.cpu_memory import keep_freed_cpu_memory
from samix_mm.utils.dist_utils import (setup_cpu_distributed,
                                       teardown_distributed)
from samix_mm.utils.tool_config import (build_runner, load_config,
                                        merge_cfg_options, set_work_dir)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a samix_mm model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or with no value (or '
        '"auto") from the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision training (AmpOptimWrapper, needs a GPU)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, xxx=yyy format, e.g. '
        'train_cfg.max_epochs=10 model.backbone.depth=50')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def amp_device_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` has a device to run on."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command-line arguments into the config.

    Raises:
        ValueError: ``--amp`` without a GPU or with an optimizer wrapper
            other than ``OptimWrapper``/``AmpOptimWrapper``, or a
            ``--cfg-options`` key that would do nothing.
        FileNotFoundError: ``--resume`` names a missing checkpoint.
    """
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    if args.amp:
        if not amp_device_available():
            raise ValueError(
                '--amp needs a GPU (mmengine\'s AmpOptimWrapper runs on '
                'CUDA, NPU, MLU or MUSA devices) and this machine has none; '
                'run without --amp to train in float32')
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper '
                             f'or AmpOptimWrapper, not {wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(
                f'--resume checkpoint {args.resume} does not exist; give an '
                'existing .pth file or use --resume alone for the latest one')
        cfg.resume = True
        cfg.load_from = args.resume
    merge_cfg_options(cfg, args.cfg_options)
    return cfg


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args, merge_args)
    setup_cpu_distributed(cfg, args.launcher)
    if not torch.cuda.is_available():
        keep_freed_cpu_memory()  # reuse freed activations, no page faults
    with config_errors_in_one_line():
        runner = build_runner(cfg)
        runner.train()
    if runner.rank == 0:
        print(f'[samix_mm] done: logs and checkpoints in {runner.work_dir}')
        drawn = [getattr(hook, 'last_path', None) for hook in runner.hooks]
        if any(drawn):
            print(f'[samix_mm] mixed samples: {[p for p in drawn if p][-1]}')
    teardown_distributed()


if __name__ == '__main__':
    main()
