# Copyright (c) samix_mm contributors. All rights reserved.
"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``."""
import argparse
import os
import os.path as osp
from copy import deepcopy

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.model import BaseTTAModel
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)
from torch import nn

from samix_mm.utils import register_all_modules
from samix_mm.utils.checkpoint_match import check_checkpoint_matches
from samix_mm.utils.config_errors import config_errors_in_one_line
from samix_mm.utils.dist_utils import (setup_cpu_distributed,
                                       teardown_distributed)
from samix_mm.utils.tool_config import (build_runner, load_config,
                                        merge_cfg_options, set_work_dir)

#: What ``--tta`` wraps the model with when the config has no ``tta_model``.
DEFAULT_TTA_MODEL = dict(type='AverageMultiHeadScoreTTA')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a samix_mm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the logs')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file (.pkl)')
    parser.add_argument(
        '--show-dir',
        help='draw every test image with its prediction into this folder '
        "(enables the config's default_hooks.visualization)")
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s tta_model and '
        'tta_pipeline, else the scores of every head averaged over the '
        'image and its horizontal flip')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, xxx=yyy format')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_show_dir(cfg: Config, show_dir: str) -> None:
    """Let the config's ``VisualizationHook`` draw every test image.

    Args:
        cfg (Config): The test config, changed in place.
        show_dir (str): The folder for the drawn images.
    """
    vis = cfg.get('default_hooks', {}).get('visualization')
    if vis is None:
        raise ValueError(
            '--show-dir needs default_hooks.visualization in the config; '
            "add visualization=dict(type='VisualizationHook')")
    vis.update(enable=True, out_dir=show_dir, interval=1)


def enable_tta(cfg: Config) -> None:
    """Wrap the model with ``cfg.tta_model`` and test on ``tta_pipeline``.

    As mmpretrain's ``tools/test.py --tta``: without ``tta_pipeline`` the
    test pipeline's last transform is applied to the image and to its
    horizontal flip; without ``tta_model`` the views' scores are averaged
    (:class:`AverageMultiHeadScoreTTA`, every head of a SAMix model).

    Args:
        cfg (Config): The test config, changed in place.
    """
    if 'tta_pipeline' not in cfg:
        pipeline = deepcopy(cfg.test_dataloader.dataset.pipeline)
        pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[dict(type='RandomFlip', prob=1.),
                         dict(type='RandomFlip', prob=0.)],
                        [pipeline[-1]]])
        cfg.tta_pipeline = pipeline
    cfg.model = ConfigDict(**cfg.get('tta_model', DEFAULT_TTA_MODEL),
                           module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command-line arguments into the config.

    Raises:
        FileNotFoundError: The checkpoint does not exist.
        ValueError: ``--out`` is not a ``.pkl`` file, ``--show-dir``
            without a visualization hook in the config or with ``--tta``.
    """
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl file, got {args.out}')
    if args.show_dir is not None and args.tta:
        # mmpretrain's VisualizationHook draws one image per sample, not
        # the TTA views
        raise ValueError('--show-dir cannot draw the views of --tta; run '
                         'with one of them at a time')
    cfg.launcher = args.launcher
    merge_cfg_options(cfg, args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = None  # loaded below, after checking that it fits
    if args.out is not None:
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        cfg.test_evaluator.append(
            dict(type='DumpResults', out_file_path=args.out))
    if args.show_dir is not None:
        enable_show_dir(cfg, args.show_dir)
    if args.tta:
        enable_tta(cfg)
    return cfg


def tested_model(runner: Runner) -> nn.Module:
    """The model the checkpoint is for, inside any wrapper or TTA model."""
    model = get_ori_model(runner.model)
    return model.module if isinstance(model, BaseTTAModel) else model


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args, merge_args)
    setup_cpu_distributed(cfg, args.launcher)
    with config_errors_in_one_line():
        runner = build_runner(cfg)
        model = tested_model(runner)
        checkpoint = _load_checkpoint(args.checkpoint, map_location='cpu')
        check_checkpoint_matches(model,
                                 checkpoint.get('state_dict', checkpoint),
                                 args.checkpoint)
        _load_checkpoint_to_model(model, checkpoint, strict=True)
        metrics = runner.test()
    if runner.rank == 0:
        print('[samix_mm] ' + ', '.join(f'{k}: {v:.2f}' if isinstance(
            v, float) else f'{k}: {v}' for k, v in metrics.items()))
    teardown_distributed()


if __name__ == '__main__':
    main()
