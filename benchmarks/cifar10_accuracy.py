# Copyright (c) samix_mm contributors. All rights reserved.
"""Top-1 of vanilla, Mixup, CutMix, AutoMix and SAMix on CIFAR-10 JPGs.

Every method trains the same CIFAR-stem ResNet-18 (width ``--width``) with
the same budget: the same images (the first ``--per-class`` training images
of each class), epochs, batch, optimizer and schedule. Only what the method
is differs. The methods' configs are the CIFAR-100 configs of this project
(spec §6) with the CIFAR-10 folder dataset
(``configs/_base_/datasets/cifar10_folder_bs100.py``) swapped in; for a short
budget the cosine schedule ends at 0 (the 400-epoch recipe stops at 0.05)
and ``--ema-momentum`` may shorten the momentum encoder's horizon (the
recipe's 0.999 -> 0.999999 is meant for 200k steps).

Each method runs ``tools/train.py`` in a subprocess with ``--threads``
threads; ``--jobs`` of them run at once. Results (top-1 of every evaluated
head after each epoch, wall time) go to ``--out``.

Example::

    tar -xzf ../shared/data/cifar10-jpg.tar.gz -C data/cifar10-jpg
    python benchmarks/cifar10_accuracy.py --data-root data/cifar10-jpg \\
        --per-class 2000 --epochs 6 --width 32 --jobs 2 --threads 1 \\
        --out benchmarks/results/cifar10_accuracy.json
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(
    vanilla='configs/mixup_baselines/resnet18_vanilla_1xb100-400e_cifar100.py',
    mixup='configs/mixup_baselines/resnet18_mixup_1xb100-400e_cifar100.py',
    cutmix='configs/mixup_baselines/resnet18_cutmix_1xb100-400e_cifar100.py',
    automix='configs/automix/automix_resnet18_1xb100-400e_cifar100.py',
    samix='configs/samix/samix_resnet18_1xb100-400e_cifar100.py')
DATASET = 'configs/_base_/datasets/cifar10_folder_bs100.py'
CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')


def make_subset(data_root: str, per_class: int, folder: str) -> str:
    """A data root whose train split holds ``per_class`` images per class.

    The images are symbolic links to the first ``per_class`` files (sorted
    by name) of each class; the test split links to the whole test folder.
    """
    root = osp.abspath(data_root)
    for split in ('train', 'test'):
        for name in CLASSES:
            if not osp.isdir(osp.join(root, split, name)):
                sys.exit(f'error: {osp.join(root, split, name)} is missing; '
                         'give --data-root the folder holding train/<class>/'
                         ' and test/<class>/ (extract cifar10-jpg.tar.gz)')
    subset = osp.abspath(osp.join(folder, f'cifar10-{per_class}pc'))
    for name in CLASSES:
        src = osp.join(root, 'train', name)
        files = sorted(os.listdir(src))
        if len(files) < per_class:
            sys.exit(f'error: {src} has {len(files)} images, fewer than '
                     f'--per-class {per_class}')
        dst = osp.join(subset, 'train', name)
        os.makedirs(dst, exist_ok=True)
        for file in files[:per_class]:
            link = osp.join(dst, file)
            if not osp.lexists(link):
                os.symlink(osp.join(src, file), link)
    if not osp.lexists(osp.join(subset, 'test')):
        os.symlink(osp.join(root, 'test'), osp.join(subset, 'test'))
    return subset


def method_config(method: str, args, data_root: str) -> Config:
    """The method's CIFAR-100 config turned into this benchmark's run."""
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[method]))
    data = Config.fromfile(osp.join(ROOT, DATASET))
    cfg.data_preprocessor = data.data_preprocessor
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = data[key]
        loader.dataset.data_root = data_root
        loader.update(num_workers=0, persistent_workers=False)
        cfg[key] = loader
    scale = args.width / 64
    model = cfg.model
    model.backbone.base_channels = args.width
    heads = [k for k in model if k.startswith('head') and model[k]]
    for key in heads:
        model[key].update(num_classes=10, in_channels=int(512 * scale))
    if 'mixer' in model:
        model.mixer.in_channels = int(model.mixer.in_channels * scale)
        neck = model.mixer.get('value_neck_cfg')
        if neck is not None:
            neck.hidden_channels = int(neck.hidden_channels * scale)
        if args.ema_momentum is not None:
            model.momentum = args.ema_momentum[0]
            cfg.custom_hooks = [
                dict(h, end_momentum=args.ema_momentum[1])
                if h['type'] == 'SAMixMomentumHook' else h
                for h in cfg.custom_hooks
            ]
    if cfg.val_evaluator.get('topk'):
        cfg.val_evaluator.topk = (1, )
        cfg.test_evaluator = cfg.val_evaluator
    cfg.param_scheduler[0].eta_min = 0.
    cfg.train_cfg.update(max_epochs=args.epochs, val_interval=1)
    cfg.default_hooks.checkpoint.update(interval=args.epochs,
                                        max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = 100
    cfg.randomness = dict(seed=args.seed, deterministic=False)
    return cfg


def run_method(method: str, args, data_root: str) -> Dict:
    work_dir = osp.abspath(osp.join(args.work_dir, method))
    os.makedirs(work_dir, exist_ok=True)
    cfg_file = osp.join(work_dir, f'{method}_cifar10.py')
    method_config(method, args, data_root).dump(cfg_file)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), PYTHONPATH=ROOT)
    start = time.time()
    with open(osp.join(work_dir, 'train.out'), 'w') as log:
        proc = subprocess.run(
            [sys.executable, osp.join(ROOT, 'tools', 'train.py'), cfg_file,
             '--work-dir', work_dir], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT)
    minutes = (time.time() - start) / 60
    if proc.returncode != 0:
        return dict(error=f'exit {proc.returncode}, see {log.name}',
                    minutes=minutes)
    return dict(minutes=minutes, top1=val_curves(work_dir))


def val_curves(work_dir: str) -> Dict[str, List[float]]:
    """Top-1 of every head after each epoch, from the newest run's log."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                         'scalars.json')))
    curves: Dict[str, List[float]] = {}
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        for row in map(json.loads, f):
            for key, value in row.items():
                if key.startswith('accuracy/top1'):
                    curves.setdefault(key, []).append(value)
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', required=True,
                        help='folder with train/<class>/ and test/<class>/')
    parser.add_argument('--per-class', type=int, default=2000)
    parser.add_argument('--epochs', type=int, default=6)
    parser.add_argument('--width', type=int, default=32,
                        help='ResNet-18 base channels (64 = full width)')
    parser.add_argument('--methods', nargs='+', default=list(CONFIGS),
                        choices=list(CONFIGS))
    parser.add_argument('--ema-momentum', type=float, nargs=2, default=None,
                        metavar=('BASE', 'END'),
                        help='momentum-encoder EMA of AutoMix/SAMix '
                        '(default: the configs\' 0.999 -> 0.999999)')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/cifar10_accuracy')
    parser.add_argument('--out', default=None, help='JSON result file')
    args = parser.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    data_root = make_subset(args.data_root, args.per_class, args.work_dir)
    with ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(args.methods, pool.map(
            lambda m: run_method(m, args, data_root), args.methods)))
    print(f'CIFAR-10, {args.per_class} train images per class, '
          f'{args.epochs} epochs, ResNet-18 width {args.width}, '
          f'EMA {args.ema_momentum or "config"}')
    print(f'{"method":8s} {"minutes":>7s}  final top-1 per head')
    for method, res in results.items():
        if 'error' in res:
            print(f'{method:8s} {res["minutes"]:7.1f}  {res["error"]}')
            continue
        final = ', '.join(f'{k.split("top1")[-1].lstrip("_") or "top1"} '
                          f'{v[-1]:.2f}' for k, v in res['top1'].items())
        print(f'{method:8s} {res["minutes"]:7.1f}  {final}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(vars(args), results=results), f, indent=1)
        print(f'wrote {args.out}')
    if any('error' in r for r in results.values()):
        sys.exit(1)


if __name__ == '__main__':
    main()
