# Copyright (c) samix_mm contributors. All rights reserved.
"""Write a tiny generated detection set (no downloads).

``python tools/misc/make_detection_data.py OUT_DIR [--format voc|coco]
[--num-images N] [--img-size S] [--seed SEED] [--num-classes K]``

Images hold 1-3 SyntheticShapes objects; see
:mod:`samix_mm.datasets.detection`. ``OUT_DIR`` is the ``data_root``
of ``configs/detection/*_synthetic-{voc,coco}.py``.
"""
import argparse
import sys
from typing import List, Optional

from samix_mm.datasets.detection import (DEFAULT_NUM_CLASSES, FORMATS,
                                         make_detection_set)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a generated detection set (VOC or COCO layout)')
    parser.add_argument('out_dir', help='output folder (the data_root)')
    parser.add_argument('--format', choices=FORMATS, default='voc')
    parser.add_argument(
        '--num-images',
        type=int,
        default=40,
        help='images in all; a quarter of them form the test split')
    parser.add_argument('--img-size', type=int, default=128)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--num-classes',
        type=int,
        default=DEFAULT_NUM_CLASSES,
        help='shape classes; the synthetic configs expect the default')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        info = make_detection_set(args.out_dir,
                                  fmt=args.format,
                                  num_images=args.num_images,
                                  img_size=args.img_size,
                                  seed=args.seed,
                                  num_classes=args.num_classes)
    except ValueError as error:
        sys.exit(f'make_detection_data: error: {error}')
    counts = ', '.join(f'{k}: {v}' for k, v in info.items()
                       if k not in ('format', 'classes'))
    print(f'[samix_mm] wrote a {info["format"]} set to {args.out_dir} '
          f'({counts}); classes: {", ".join(info["classes"])}')


if __name__ == '__main__':
    main()
