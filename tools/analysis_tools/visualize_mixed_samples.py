# Copyright (c) samix_mm contributors. All rights reserved.
"""Draw what a checkpoint's Mixer mixes.

``python tools/analysis_tools/visualize_mixed_samples.py CONFIG CHECKPOINT
[--out mixed_samples.png] [--num 8] [--lam 0.5] [--split train|val]``

Writes rows ``[A | B (partner) | mask of A | mixed]`` for the first images
of one batch of the config's dataloader (the same batch on every call).
"""
import argparse
import os.path as osp
import sys

import mmcv
from mmengine.config import Config, DictAction
from mmengine.runner import Runner, set_random_seed
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from samix_mm.registry import MODELS
from samix_mm.utils import (CorruptCheckpointError, UnsafeCheckpointError,
                            register_all_modules, safe_load)
from samix_mm.utils.checkpoint_match import check_checkpoint_matches
from samix_mm.visualization import mixed_batch_grid

IMAGE_EXTS = ('.png', '.jpg', '.jpeg')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the mixed samples of a SAMix checkpoint')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument(
        '--out', default='mixed_samples.png', help='picture to write')
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


def visualize(args: argparse.Namespace) -> str:
    """Write the picture described by ``args`` and return its path."""
    if args.num < 1:
        raise ValueError(f'--num must be >= 1, got {args.num}')
    if not 0. <= args.lam <= 1.:
        raise ValueError(f'--lam must be in [0, 1], got {args.lam}')
    if osp.splitext(args.out)[1].lower() not in IMAGE_EXTS:
        raise ValueError(f'--out must end with one of {IMAGE_EXTS}, got '
                         f'{args.out}')
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config {args.config} does not exist')
    checkpoint = safe_load(args.checkpoint, map_location='cpu')
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    set_random_seed(0)  # the same batch, augmentation and init every call
    model = MODELS.build(cfg.model)
    check_checkpoint_matches(model, checkpoint.get('state_dict', checkpoint),
                             args.checkpoint)
    _load_checkpoint_to_model(model, checkpoint, strict=True)

    loader_cfg = cfg[f'{args.split}_dataloader']
    loader_cfg.update(batch_size=args.num, num_workers=0,
                      persistent_workers=False)
    data_batch = next(iter(Runner.build_dataloader(loader_cfg)))
    grid = mixed_batch_grid(model, data_batch, args.num, args.lam)
    if not mmcv.imwrite(grid, args.out):
        raise OSError(f'could not write {args.out}')
    return args.out


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
