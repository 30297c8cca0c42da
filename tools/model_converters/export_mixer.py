# Copyright (c) samix_mm contributors. All rights reserved.
"""Export a SAMix Mixer and its encoder for SAMix^P.

``python tools/model_converters/export_mixer.py CKPT OUT [--encoder E]``

Reads a checkpoint of ``tools/train.py`` (through the allow-list loader) and
writes the small file that ``SAMixP(mixer_file=OUT)`` loads: the Mixer, the
encoder cut after the Mixer's stage, their configs and the normalisation of
the SAMix run.
"""
import argparse
import os
import os.path as osp

import torch

from samix_mm.converters.mixer_export import ENCODER_PREFIXES, export_mixer
from samix_mm.utils import register_all_modules, safe_load


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export a trained SAMix Mixer for SAMix^P')
    parser.add_argument('checkpoint', help='SAMix checkpoint (.pth)')
    parser.add_argument('out', help='output file (.pth)')
    parser.add_argument(
        '--encoder',
        choices=list(ENCODER_PREFIXES),
        default='momentum',
        help='the encoder that feeds the Mixer: momentum (backbone_k, the '
        'one the Mixer was trained with) or online (backbone)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    checkpoint = safe_load(args.checkpoint, map_location='cpu')
    export = export_mixer(checkpoint, args.encoder)
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    torch.save(export, args.out)
    params = sum(v.numel() for part in ('encoder', 'mixer')
                 for v in export[part].values())
    print(f'[samix_mm] Mixer + {args.encoder} encoder up to stage '
          f'{export["mask_layer"]} ({params / 1e6:.2f} M values) -> '
          f'{args.out} ({osp.getsize(args.out) / 2**20:.2f} MiB)')


if __name__ == '__main__':
    main()
