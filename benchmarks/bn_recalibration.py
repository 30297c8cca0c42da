# Copyright (c) samix_mm contributors. All rights reserved.
"""Does the momentum encoder's BN need clean statistics?

In a SAMix step the momentum encoder ``backbone_k`` sees the clean batch
only up to the Mixer's stage (``mask_layer``); its later stages (layer4 of
a ResNet) run on mixed images only, so their BN running statistics are
those of mixed images, while the model's answer (``one_k``) is read on
clean ones. For a checkpoint this script reports the val top-1 of
``one_k``, ``mix_k`` and, as a reference that must not move, ``one_q``:

* ``stored``: with the checkpoint's running statistics,
* ``recal_all``: after re-estimating every BN layer of ``backbone_k`` on
  N training images (running stats reset, cumulative average, BN layers in
  train mode, one full forward per batch, as ``torch.optim.swa_utils``),
* ``recal_late``: after re-estimating only the stages after ``mask_layer``
  (the ones fed only mixed images); the earlier stages stay in eval mode.

The training images go through the val pipeline (clean), or through the
train pipeline with ``--aug``.

Example::

    python benchmarks/bn_recalibration.py --out bn.json \
        --checkpoint work_dirs/demo/epoch_15.pth \
        --config configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py
"""
import argparse
import copy
import json
import os.path as osp
import sys
from typing import Dict, Iterable, Iterator, List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from mask_quality import load_model  # noqa: E402

from samix_mm.utils import register_all_modules  # noqa: E402

HEADS = ('one_k', 'mix_k', 'one_q')


def build_loaders(cfg: Config, aug: bool = False, seed: int = 0) -> tuple:
    """The val dataloader and a shuffled loader of the train split.

    Args:
        cfg (Config): The config.
        aug (bool): Keep the train pipeline (augmented images) instead of
            the val pipeline. Defaults to False.
        seed (int): Seed of the train sampler. Defaults to 0.

    Returns:
        tuple[DataLoader, DataLoader]: ``(val_loader, train_loader)``.
    """
    train_cfg = copy.deepcopy(cfg.train_dataloader.to_dict())
    if not aug:
        val_ds, ds = cfg.val_dataloader.dataset, train_cfg['dataset']
        while 'pipeline' not in val_ds and 'dataset' in val_ds:
            val_ds = val_ds.dataset
        while 'pipeline' not in ds and 'dataset' in ds:  # wrappers
            ds = ds['dataset']
        ds['pipeline'] = copy.deepcopy(val_ds.to_dict()['pipeline'])
    train_cfg['sampler'] = dict(type='DefaultSampler', shuffle=True)
    val_cfg = copy.deepcopy(cfg.val_dataloader.to_dict())
    return (Runner.build_dataloader(val_cfg, seed=seed),
            Runner.build_dataloader(train_cfg, seed=seed))


def batches(model: nn.Module, loader, num_images: int) -> Iterator:
    """Normalised image batches of ``loader``, ``num_images`` in all."""
    seen = 0
    while seen < num_images:
        before = seen
        for data in loader:
            inputs = model.data_preprocessor(data, False)['inputs']
            inputs = inputs[:num_images - seen]
            seen += inputs.size(0)
            yield inputs
            if seen >= num_images:
                return
        if seen == before:
            raise ValueError('the training dataloader gives no images')


def late_stages(backbone: nn.Module, mask_layer: int) -> List[str]:
    """Names of the backbone stages after ``mask_layer`` (mixed-only)."""
    if not hasattr(backbone, 'res_layers'):
        raise TypeError(f'{type(backbone).__name__} has no res_layers: '
                        'cannot tell its stages apart')
    return list(backbone.res_layers[mask_layer + 1:])


@torch.no_grad()
def reestimate_bn(module: nn.Module, inputs: Iterable[Tensor],
                  roots: Optional[List[nn.Module]] = None) -> int:
    """Re-estimate BN running statistics as a cumulative average.

    The running statistics of the BN layers under ``roots`` are reset, their
    momentum set to None (cumulative average over the batches, as
    ``torch.optim.swa_utils.update_bn``) and they alone are put in train
    mode; ``module`` runs on every batch of ``inputs`` without gradients
    and is left in eval mode.

    Args:
        module (nn.Module): The network to run, changed in place.
        inputs (Iterable[Tensor]): Its input batches.
        roots (list[nn.Module], optional): Re-estimate only the BN layers of
            these sub-modules (the others stay in eval mode). Defaults to
            None (all BN layers of ``module``).

    Returns:
        int: The number of BN layers re-estimated.
    """
    bns = [m for root in roots or [module] for m in root.modules()
           if isinstance(m, _BatchNorm)]
    module.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average
        bn.train()
    for batch in inputs:
        module(batch)
    module.eval()
    return len(bns)


@torch.no_grad()
def recalibrate_bn(model: nn.Module, loader, num_images: int,
                   stages: Optional[List[str]] = None) -> int:
    """Re-estimate the BN running statistics of ``model.backbone_k``.

    Args:
        model (nn.Module): The SAMixClassifier, changed in place.
        loader (DataLoader): Training images.
        num_images (int): How many images to average over.
        stages (list[str], optional): Only these stages of ``backbone_k``
            (the others stay in eval mode). Defaults to None (all).

    Returns:
        int: The number of BN layers re-estimated.
    """
    backbone = model.backbone_k
    roots = [getattr(backbone, s) for s in stages] if stages else None
    model.eval()
    return reestimate_bn(backbone, batches(model, loader, num_images), roots)


@torch.no_grad()
def evaluate(model: nn.Module, loader) -> Dict[str, float]:
    """Top-1 (%) of the heads in :data:`HEADS` on ``loader``."""
    model.eval()
    correct, total = dict.fromkeys(HEADS, 0), 0
    for data in loader:
        data = model.data_preprocessor(data, False)
        for sample in model.predict(data['inputs'], data['data_samples']):
            label = int(sample.gt_label[0])
            for head in HEADS:
                score = sample.get(f'pred_score_{head}')
                correct[head] += int(int(score.argmax()) == label)
            total += 1
    return {h: 100. * correct[h] / max(total, 1) for h in HEADS}


def main(argv: Optional[List[str]] = None) -> dict:
    """Parse ``argv``, print the table and return it."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--num-images', type=int, default=2000,
                        help='training images to re-estimate on')
    parser.add_argument('--aug', action='store_true',
                        help='train pipeline (augmented) instead of val')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=None, help='JSON result file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(args.seed)
    model = load_model(cfg, args.checkpoint)
    val_loader, train_loader = build_loaders(cfg, args.aug, args.seed)
    late = late_stages(model.backbone_k, model.mask_layer)
    table = {'stored': dict(evaluate(model, val_loader), stages=[],
                            bn_layers=0)}
    for name, stages in (('recal_all', None), ('recal_late', late)):
        recal = copy.deepcopy(model)
        num_bn = recalibrate_bn(recal, train_loader, args.num_images, stages)
        table[name] = dict(evaluate(recal, val_loader),
                           stages=stages or ['all'], bn_layers=num_bn)
    print(f'{"statistics":12s} {"stages":16s} {"BN":>4s} ' +
          ' '.join(f'{h:>7s}' for h in HEADS))
    for name, row in table.items():
        print(f'{name:12s} {",".join(row["stages"]) or "-":16s} '
              f'{row["bn_layers"]:4d} ' +
              ' '.join(f'{row[h]:7.2f}' for h in HEADS))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(args=vars(args), table=table), f, indent=1)
        print(f'wrote {args.out}')
    return table


if __name__ == '__main__':
    main()
