# Copyright (c) samix_mm contributors. All rights reserved.
"""Draw what a checkpoint's Mixer mixes.

``python tools/analysis_tools/visualize_mixed_samples.py CONFIG CHECKPOINT
[--work-dir DIR] [--out PICTURE] [--num 8] [--lam 0.5] [--split train|val]``

Builds the model as ``tools/train.py`` does (a Runner of the config, so the
config's top-level ``data_preprocessor`` is the model's), loads the
checkpoint and draws rows ``[A | B (partner) | mask of A | mixed]`` for the
first images of one batch of the config's dataloader (the same batch on
every call), with the drawing and the masks of
:class:`MixerVisualizationHook`. The picture goes to ``--out``, by default
``WORK_DIR/mix_vis/<checkpoint name>_<split>.png``, the work dir being
``--work-dir``, the config's ``work_dir`` or ``./work_dirs/<config name>``.
"""
import argparse
import os.path as osp
import sys
from typing import Tuple

from mmengine.config import Config, DictAction
from mmengine.runner import Runner, set_random_seed
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from samix_mm.utils import (CorruptCheckpointError, UnsafeCheckpointError,
                            register_all_modules, safe_load)
from samix_mm.utils.checkpoint_match import check_checkpoint_matches
from samix_mm.utils.tool_config import (build_runner, merge_cfg_options,
                                        set_work_dir)
from samix_mm.visualization import (class_names, mixed_batch_grid,
                                    write_picture)

IMAGE_EXTS = ('.png', '.jpg', '.jpeg')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the mixed samples of a SAMix checkpoint')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument(
        '--work-dir',
        help='the dir of the logs and, by default, of the picture '
        '(default: the config\'s work_dir or ./work_dirs/<config name>)')
    parser.add_argument(
        '--out',
        help='picture to write (default: '
        'WORK_DIR/mix_vis/<checkpoint name>_<split>.png)')
    parser.add_argument(
        '--num', type=int, default=8, help='number of samples (rows)')
    parser.add_argument(
        '--lam', type=float, default=0.5, help='mixing ratio in [0, 1]')
    parser.add_argument(
        '--split', choices=['train', 'val'], default='train',
        help='dataloader to draw from (train: with its augmentations)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, xxx=yyy format')
    return parser.parse_args()


def check_args(args: argparse.Namespace) -> None:
    """Refuse bad arguments with a one-line error."""
    if args.num < 1:
        raise ValueError(f'--num must be >= 1, got {args.num}')
    if not 0. <= args.lam <= 1.:
        raise ValueError(f'--lam must be in [0, 1], got {args.lam}')
    if args.out is not None and \
            osp.splitext(args.out)[1].lower() not in IMAGE_EXTS:
        raise ValueError(f'--out must end with one of {IMAGE_EXTS}, got '
                         f'{args.out}')
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config {args.config} does not exist')


def load_config(args: argparse.Namespace) -> Config:
    """The config with ``--cfg-options`` and the work dir of
    ``tools/train.py`` (``--work-dir`` > config > ./work_dirs/<name>)."""
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)
    if cfg.get(f'{args.split}_dataloader') is None:
        raise ValueError(f'the config has no {args.split}_dataloader; use '
                         'another --split')
    return cfg


def first_batch(cfg: Config, split: str, num: int) -> Tuple[dict, object]:
    """The first ``num`` samples of a dataloader, the same on every call.

    Returns:
        tuple: The raw data batch and the dataset.
    """
    loader_cfg = cfg[f'{split}_dataloader'].copy()
    loader_cfg.update(batch_size=num, num_workers=0, persistent_workers=False)
    set_random_seed(0)  # the same sampler order and augmentations
    loader = Runner.build_dataloader(loader_cfg)
    return next(iter(loader)), loader.dataset


def default_out(cfg: Config, args: argparse.Namespace) -> str:
    """``WORK_DIR/mix_vis/<checkpoint name>_<split>.png``."""
    name = osp.splitext(osp.basename(args.checkpoint))[0]
    return osp.join(cfg.work_dir, 'mix_vis', f'{name}_{args.split}.png')


def visualize(args: argparse.Namespace) -> str:
    """Write the picture described by ``args`` and return its path."""
    check_args(args)
    checkpoint = safe_load(args.checkpoint, map_location='cpu')
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)
    out = args.out or default_out(cfg, args)
    runner = build_runner(cfg)
    check_checkpoint_matches(runner.model,
                             checkpoint.get('state_dict', checkpoint),
                             args.checkpoint)
    _load_checkpoint_to_model(runner.model, checkpoint, strict=True)
    data_batch, dataset = first_batch(cfg, args.split, args.num)
    picture = mixed_batch_grid(runner.model, data_batch, args.num, args.lam,
                               class_names(dataset, checkpoint))
    write_picture(picture, out)
    return out


def main() -> None:
    args = parse_args()
    try:
        path = visualize(args)
    except (FileNotFoundError, ValueError, TypeError, OSError,
            UnsafeCheckpointError, CorruptCheckpointError) as error:
        sys.exit(f'error: {error}')
    print(f'[samix_mm] mixed samples (A | B | mask of A | mixed, '
          f'lam={args.lam}) saved to {path}')


if __name__ == '__main__':
    main()
