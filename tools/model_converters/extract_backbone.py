# Copyright (c) samix_mm contributors. All rights reserved.
"""Export the encoder of a samix_mm checkpoint as backbone weights.

``python tools/model_converters/extract_backbone.py CKPT OUT
[--encoder momentum|online] [--layout plain|mmdet-c4|mmdet-fpn]
[--depth D]``

``momentum`` (default) takes ``backbone_k.``, the EMA encoder; ``online``
takes ``backbone.``. See :mod:`samix_mm.converters.backbone_export` for
the layouts; the written file is checked to load into the target modules
with no missing and no unexpected keys.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import torch

from samix_mm.converters.backbone_export import (ENCODER_PREFIXES, LAYOUTS,
                                                 export_backbone)
from samix_mm.utils import (CorruptCheckpointError, UnsafeCheckpointError,
                            safe_load)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the backbone of a samix_mm checkpoint')
    parser.add_argument('checkpoint', help='samix_mm checkpoint (.pth)')
    parser.add_argument('out', help='where to write the backbone (.pth)')
    parser.add_argument(
        '--encoder',
        choices=list(ENCODER_PREFIXES),
        default='momentum',
        help='momentum: `backbone_k.` (EMA encoder, default); online: '
        '`backbone.`')
    parser.add_argument(
        '--layout',
        choices=LAYOUTS,
        default='plain',
        help='plain: clean ResNet keys; mmdet-fpn: for FPN detectors; '
        'mmdet-c4: `backbone.` + `roi_head.shared_head.` keys for C4 '
        'detectors (load each with its Pretrained prefix)')
    parser.add_argument(
        '--depth',
        type=int,
        default=None,
        help='depth of the target ResNet (default: 50 for the mmdet '
        'layouts, the checkpoint\'s own for plain)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        checkpoint = safe_load(args.checkpoint, map_location='cpu')
        out, summary = export_backbone(checkpoint,
                                       encoder=args.encoder,
                                       layout=args.layout,
                                       depth=args.depth,
                                       source=args.checkpoint)
    except (FileNotFoundError, ValueError, UnsafeCheckpointError,
            CorruptCheckpointError) as error:
        sys.exit(f'extract_backbone: error: {error}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(out, args.out)
    print(f'[samix_mm] OK: wrote {args.out}: {summary}')


if __name__ == '__main__':
    main()
