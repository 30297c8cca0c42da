# Copyright (c) samix_mm contributors. All rights reserved.
"""Linear probe of self-supervised encoders on the built-in SyntheticShapes.

For each checkpoint (a samix_mm training checkpoint, the encoder chosen by
``--encoder``, or a backbone written by
``tools/model_converters/extract_backbone.py``) the CIFAR-stem ResNet-18 of
the SSL demo configs embeds ``--train-samples`` training and
``--test-samples`` test images (frozen, eval mode, global average pooling
of the last stage, the linear-eval config's normalisation); a linear layer
is fitted on the standardised training features (full batch, Adam) and the
top-1 on the test split is reported. ``random`` in place of a checkpoint
probes a randomly initialised encoder: what pre-training has to beat.

``--data-root`` probes on a CIFAR-10-like folder dataset instead
(``train/<class>/*.jpg``, ``test/<class>/*.jpg``, 32 px, the
normalisation of ``configs/_base_/datasets/cifar10_folder_bs100.py``): the
first ``--train-samples / num_classes`` images of each training class and
the first ``--test-samples / num_classes`` of each test class. It tells
whether an encoder learned anything on natural images.

``--bn-stats stored clean`` probes every encoder twice, one embedding
pass each: with the BN running statistics stored in the checkpoint (those
of the training forward passes: augmented views, and mixed images where
the method feeds them to the encoder) and with statistics re-estimated on
``--bn-images`` clean probe training images (a seeded draw, classes mixed
in every batch; running statistics reset, cumulative average over batches
of :data:`BN_BATCH`: :func:`bn_recalibration.reestimate_bn`). Each JSON
row names its ``bn_stats``, and the ``epoch`` and ``iter`` a training
checkpoint was saved at (0 for ``random``, None for exported backbones).

This is a fast stand-in for the linear-eval config
(``configs/samix_moco/benchmarks/resnet18-w32_1xb64-linear-*.py``),
which trains the same head by SGD on augmented images.

Example::

    python benchmarks/ssl_linear_probe.py random \\
        work_dirs/samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes/epoch_20.pth \\
        --width 32 --bn-stats stored clean --out probe.json
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import Tensor

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from bn_recalibration import reestimate_bn  # noqa: E402

from samix_mm.converters.backbone_export import (  # noqa: E402
    get_state_dict, select_encoder)
from samix_mm.registry import DATASETS, MODELS  # noqa: E402
from samix_mm.utils import register_all_modules, safe_load  # noqa: E402

#: Dataset configs of the linear evaluation whose normalisation the probe
#: uses: the built-in data, and CIFAR-10 folders (``--data-root``).
NORM_CONFIGS = dict(
    synthetic='configs/_base_/datasets/synthetic_shapes_bs64.py',
    folder='configs/_base_/datasets/cifar10_folder_bs100.py')
#: Batch size of the BN re-estimation (that of the SSL demo configs).
BN_BATCH = 64


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoints',
                        nargs='+',
                        help='checkpoint files, or `random`')
    parser.add_argument(
        '--encoder',
        choices=('online', 'momentum'),
        default='online',
        help='encoder of a training checkpoint (ignored for exported '
        'backbones)')
    parser.add_argument('--width',
                        type=int,
                        default=32,
                        help='base_channels of the ResNet-18')
    parser.add_argument('--num-classes', type=int, default=10)
    parser.add_argument('--data-root',
                        help='CIFAR-10-like folder dataset to probe on '
                        'instead of the built-in SyntheticShapes')
    parser.add_argument('--train-samples', type=int, default=2500)
    parser.add_argument('--test-samples', type=int, default=1000)
    parser.add_argument('--steps',
                        type=int,
                        default=500,
                        help='Adam steps of the linear layer')
    parser.add_argument(
        '--bn-stats',
        nargs='+',
        choices=('stored', 'clean'),
        default=['stored'],
        help='BN statistics to probe with: the checkpoint\'s, and/or '
        're-estimated on clean training images')
    parser.add_argument('--bn-images',
                        type=int,
                        help='clean training images of the re-estimation '
                        '(drawn from the probe\'s; default all)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='JSON file for the results')
    return parser.parse_args(argv)


def load_images(num: int,
                num_classes: int,
                test_mode: bool,
                data_root: Optional[str] = None) -> Tuple[Tensor, Tensor]:
    """``(N, 3, 32, 32)`` normalised RGB images and their labels."""
    if data_root is None:
        dataset = DATASETS.build(
            dict(type='SyntheticShapes',
                 num_samples=num,
                 num_classes=num_classes,
                 test_mode=test_mode))
        infos = [dataset.get_data_info(i) for i in range(num)]
        imgs = [info['img'] for info in infos]
    else:
        dataset = DATASETS.build(
            dict(type='ImageFolder',
                 data_root=data_root,
                 split='test' if test_mode else 'train'))
        infos, taken = [], [0] * len(dataset.metainfo['classes'])
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            if taken[info['gt_label']] < num // len(taken):
                taken[info['gt_label']] += 1
                infos.append(info)
        imgs = [mmcv.imread(info['img_path']) for info in infos]
    norm = Config.fromfile(
        osp.join(ROOT, NORM_CONFIGS['folder' if data_root else 'synthetic'])
    ).data_preprocessor
    imgs = np.stack(imgs)[..., ::-1]  # BGR -> RGB
    imgs = torch.from_numpy(imgs.copy()).permute(0, 3, 1, 2).float()
    labels = torch.tensor([int(info['gt_label']) for info in infos])
    mean = torch.tensor(norm.mean).view(1, 3, 1, 1)
    std = torch.tensor(norm.std).view(1, 3, 1, 1)
    return (imgs - mean) / std, labels


def build_encoder(checkpoint: str, encoder: str, width: int,
                  seed: int) -> torch.nn.Module:
    """The ResNet-18 of the SSL configs with the checkpoint's weights."""
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(type='ResNet_CIFAR',
             depth=18,
             base_channels=width,
             out_indices=(3, )))
    if checkpoint != 'random':
        state = get_state_dict(safe_load(checkpoint, map_location='cpu'))
        if any(key.startswith('backbone') for key in state):
            state = select_encoder(state, encoder)
        model.load_state_dict(state, strict=True)
    model.eval()  # mmpretrain's ResNet.train() returns None
    return model


def progress(checkpoint: str) -> Dict[str, Optional[int]]:
    """Epoch and iteration a training checkpoint was saved at.

    Args:
        checkpoint (str): A checkpoint file, or ``random``.

    Returns:
        dict: ``epoch`` and ``iter``: 0 for ``random``, None where the file
        has no ``meta`` (an exported backbone).
    """
    if checkpoint == 'random':
        return dict(epoch=0, iter=0)
    meta = safe_load(checkpoint, map_location='cpu').get('meta') or {}
    return dict(epoch=meta.get('epoch'), iter=meta.get('iter'))


def shuffled(imgs: Tensor, num: Optional[int], seed: int) -> Tensor:
    """``num`` of ``imgs`` (all if None) in a seeded random order.

    The probe's images come class by class; BN batches need mixed classes.

    Args:
        imgs (Tensor): ``(N, ...)`` images.
        num (int, optional): How many to draw, ``1 <= num <= N``.
        seed (int): Seed of the draw.

    Returns:
        Tensor: ``(num, ...)`` images.
    """
    if num is not None and not 0 < num <= len(imgs):
        raise ValueError(f'--bn-images {num}: between 1 and the '
                         f'{len(imgs)} probe training images')
    order = torch.randperm(
        len(imgs), generator=torch.Generator().manual_seed(seed))
    return imgs[order[:num]]


def clean_bn(model: torch.nn.Module, imgs: Tensor, device: str) -> int:
    """Re-estimate every BN layer of ``model`` on clean images.

    Args:
        model (nn.Module): The encoder, changed in place (left in eval
            mode).
        imgs (Tensor): ``(N, 3, H, W)`` normalised images, averaged over in
            batches of :data:`BN_BATCH` (each batch weighs the same).
        device (str): Where ``model`` is.

    Returns:
        int: The number of BN layers re-estimated.
    """
    return reestimate_bn(model,
                         (chunk.to(device) for chunk in imgs.split(BN_BATCH)))


@torch.no_grad()
def embed(model: torch.nn.Module, imgs: Tensor, device: str) -> Tensor:
    """Globally pooled last-stage features, 250 images at a time."""
    feats = [
        model(chunk.to(device))[-1].mean((2, 3)).cpu()
        for chunk in imgs.split(250)
    ]
    return torch.cat(feats)


def fit_probe(x_train: Tensor, y_train: Tensor, x_test: Tensor, y_test: Tensor,
              num_classes: int, steps: int, seed: int) -> Dict[str, float]:
    """Train/test top-1 (%) of a linear layer on standardised features."""
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    torch.manual_seed(seed)
    linear = torch.nn.Linear(x_train.size(1), num_classes)
    optim = torch.optim.Adam(linear.parameters(), lr=0.01, weight_decay=1e-4)
    for _ in range(steps):
        optim.zero_grad()
        F.cross_entropy(linear(x_train), y_train).backward()
        optim.step()
    with torch.no_grad():
        return dict(train_top1=100 * float(
            (linear(x_train).argmax(1) == y_train).float().mean()),
                    test_top1=100 * float(
                        (linear(x_test).argmax(1) == y_test).float().mean()))


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    register_all_modules(False)
    x_train, y_train = load_images(args.train_samples, args.num_classes, False,
                                   args.data_root)
    x_test, y_test = load_images(args.test_samples, args.num_classes, True,
                                 args.data_root)
    bn_images = shuffled(x_train, args.bn_images, args.seed)
    results = []
    for checkpoint in args.checkpoints:
        model = build_encoder(checkpoint, args.encoder, args.width,
                              args.seed).to(args.device)
        saved_at = progress(checkpoint)
        for bn_stats in ('stored', 'clean'):
            if bn_stats not in args.bn_stats:
                continue
            start = time.time()
            row = dict(checkpoint=checkpoint, encoder=args.encoder,
                       bn_stats=bn_stats, **saved_at,
                       train_images=len(y_train), test_images=len(y_test))
            if bn_stats == 'clean':
                clean_bn(model, bn_images, args.device)
                row['bn_images'] = len(bn_images)
            row.update(
                fit_probe(embed(model, x_train, args.device), y_train,
                          embed(model, x_test, args.device), y_test,
                          int(y_train.max()) + 1, args.steps, args.seed))
            row['seconds'] = round(time.time() - start, 1)
            print(
                f'{checkpoint} ({args.encoder}, {bn_stats} BN): train '
                f'{row["train_top1"]:.1f} %, test {row["test_top1"]:.1f} %',
                flush=True)
            results.append(row)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(args=vars(args), results=results), f, indent=1)
    return results


if __name__ == '__main__':
    main()
