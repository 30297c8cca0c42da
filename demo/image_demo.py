# Copyright (c) samix_mm contributors. All rights reserved.
"""Classify an image: ``python demo/image_demo.py IMAGE CONFIG CHECKPOINT``.

A thin front of mmpretrain's ``ImageClassificationInferencer``; CONFIG may
also be a name of ``model-index.yml``. Prints the class and its score.
"""
import argparse

from mmpretrain import ImageClassificationInferencer

import samix_mm  # noqa: F401  (the model-index names)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Classify an image')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file or model-index name')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--device',
                        default=None,
                        help='e.g. cpu or cuda:0 (default: auto)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    inferencer = ImageClassificationInferencer(args.config,
                                               pretrained=args.checkpoint,
                                               device=args.device)
    result = inferencer(args.img)[0]
    name = result.get('pred_class', str(result['pred_label']))
    print(f'{args.img}: {name} (label {result["pred_label"]}, '
          f'score {result["pred_score"]:.4f})')


if __name__ == '__main__':
    main()
