# Copyright (c) samix_mm contributors. All rights reserved.
"""Top-1 of mixing methods on CIFAR-10 JPGs, several seeds, resumable.

Every method trains the same CIFAR-stem ResNet-18 (width ``--width``) with
the same budget: the same images (the first ``--per-class`` training images
of each class), epochs, batch, optimizer and schedule. Only what the method
is differs. The methods' configs are the CIFAR-100 configs of this project
with the CIFAR-10 folder dataset
(``configs/_base_/datasets/cifar10_folder_bs100.py``) swapped in; for a short
budget the cosine schedule ends at 0 (the 400-epoch recipe stops at 0.05)
and ``--ema-momentum`` may shorten the momentum encoder's horizon (the
recipe's 0.999 -> 0.999999 is meant for 200k steps). ``samix-eta-off``,
``samix-bce`` and ``samix-decoupled`` are SAMix with the Mixer trained by
plain mixup CE or by one form of ``SAMixLoss`` (η = 0.5).

Each (method, seed) runs ``tools/train.py`` in a subprocess with
``--threads`` threads; ``--jobs`` of them run at once. Each finished run
writes ``OUT_DIR/<method>_seed<seed>.json`` (top-1 after each evaluation:
``accuracy/top1``, the model's answer, and for AutoMix/SAMix every head's
``accuracy/top1_<head>`` and their best ``accuracy/top1_best``; wall time);
a run whose JSON exists is skipped, so an interrupted benchmark continues
where it stopped. The summary (mean ± std over seeds of the final and the
best top-1 per head, ``top1`` being the answer, over every finished run of
``OUT_DIR``, and the per-seed differences of the answer's final top-1
between methods) is printed and written to ``OUT_DIR/summary.json``.
Logs and JSON files written when ``accuracy/top1`` named the best head are
read with that value as ``best``.

Example::

    tar -xzf ../shared/data/cifar10-jpg.tar.gz -C data/cifar10-jpg
    python benchmarks/cifar10_accuracy.py --data-root data/cifar10-jpg \\
        --per-class 500 --epochs 30 --width 32 --seeds 0 1 --jobs 2 \\
        --threads 1 --out-dir benchmarks/results/cifar10_500pc
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(
    vanilla='configs/mixup_baselines/resnet18_1xb100-400e_cifar100.py',
    mixup='configs/mixup_baselines/resnet18_1xb100-mixup-400e_cifar100.py',
    cutmix='configs/mixup_baselines/resnet18_1xb100-cutmix-400e_cifar100.py',
    fmix='configs/mixup_baselines/resnet18_1xb100-fmix-400e_cifar100.py',
    gridmix='configs/mixup_baselines/resnet18_1xb100-gridmix-400e_cifar100.py',
    saliencymix='configs/mixup_baselines/'
    'resnet18_1xb100-saliencymix-400e_cifar100.py',
    automix='configs/automix/automix_resnet18_1xb100-400e_cifar100.py',
    samix='configs/samix/samix_resnet18_1xb100-400e_cifar100.py')
#: SAMix with another loss for the Mixer (``head_mix_k.loss``).
MIXER_LOSSES = {
    'samix-eta-off': dict(type='CrossEntropyLoss', use_soft=True),
    'samix-bce': dict(type='SAMixLoss', eta=0.5, form='bce'),
    'samix-decoupled': dict(type='SAMixLoss', eta=0.5, form='decoupled'),
}
METHODS = list(CONFIGS) + list(MIXER_LOSSES)
DATASET = 'configs/_base_/datasets/cifar10_folder_bs100.py'
#: The best head's top-1; older logs named it ``accuracy/top1``.
BEST = 'accuracy/top1_best'
#: The head AutoMix/SAMix answer with (momentum encoder, clean images).
ONE_K = 'accuracy/top1_one_k'
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


def method_config(method: str, seed: int, args, data_root: str) -> Config:
    """The method's CIFAR-100 config turned into this benchmark's run."""
    base = 'samix' if method in MIXER_LOSSES else method
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[base]))
    if method in MIXER_LOSSES:
        cfg.model.head_mix_k.loss = dict(MIXER_LOSSES[method])
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
    cfg.train_cfg.update(max_epochs=args.epochs,
                         val_interval=args.val_interval)
    # the last checkpoint only, or every --ckpt-every epochs (all kept)
    cfg.default_hooks.checkpoint.update(
        interval=args.ckpt_every or args.epochs,
        max_keep_ckpts=-1 if args.ckpt_every else 1)
    cfg.default_hooks.logger.interval = 100
    cfg.randomness = dict(seed=seed, deterministic=False)
    return cfg


def run_method(method: str, seed: int, args, data_root: str) -> Dict:
    """Train one (method, seed), write its JSON and return the result."""
    name = f'{method}_seed{seed}'
    out = osp.join(args.out_dir, f'{name}.json')
    if osp.isfile(out):
        with open(out) as f:
            return json.load(f)
    work_dir = osp.abspath(osp.join(args.work_dir, name))
    os.makedirs(work_dir, exist_ok=True)
    cfg_file = osp.join(work_dir, f'{method}_cifar10.py')
    method_config(method, seed, args, data_root).dump(cfg_file)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), PYTHONPATH=ROOT)
    start = time.time()
    with open(osp.join(work_dir, 'train.out'), 'w') as log:
        proc = subprocess.run(
            [sys.executable, osp.join(ROOT, 'tools', 'train.py'), cfg_file,
             '--work-dir', work_dir], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT)
    minutes = (time.time() - start) / 60
    if proc.returncode != 0:  # not written: a re-run tries again
        return dict(error=f'exit {proc.returncode}, see {log.name}',
                    minutes=minutes)
    result = dict(method=method, seed=seed, minutes=minutes,
                  top1=val_curves(work_dir), work_dir=work_dir,
                  budget=budget(args))
    with open(out + '.tmp', 'w') as f:
        json.dump(result, f, indent=1)
    os.replace(out + '.tmp', out)
    return result


def budget(args) -> Dict:
    """What every run of one benchmark shares."""
    return dict(per_class=args.per_class, epochs=args.epochs,
                width=args.width, ema_momentum=args.ema_momentum,
                val_interval=args.val_interval)


def top1_names(values: Dict[str, Any]) -> Dict[str, Any]:
    """``values`` keyed by today's top-1 names.

    In older logs ``accuracy/top1`` of a multi-head model was its best
    head (now ``accuracy/top1_best``; ``accuracy/top1`` is the model's
    answer). A log row or curve dict with per-head keys, ``accuracy/top1``
    and no ``accuracy/top1_best`` is of that kind: its ``accuracy/top1``
    is renamed. Single-head runs (baselines) are the same in both.

    Args:
        values (dict): A log row or ``{key: curve}`` of one run.

    Returns:
        dict: ``values``, renamed where needed (a new dict then).
    """
    heads = any(k.startswith('accuracy/top1_') for k in values)
    if not heads or 'accuracy/top1' not in values or BEST in values:
        return values
    renamed = {k: v for k, v in values.items() if k != 'accuracy/top1'}
    renamed[BEST] = values['accuracy/top1']
    return renamed


def val_curves(work_dir: str) -> Dict[str, List[float]]:
    """Top-1 (answer, heads, best) after each epoch, from the newest run's
    log, by today's names (:func:`top1_names`)."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                         'scalars.json')))
    curves: Dict[str, List[float]] = {}
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        for row in map(json.loads, f):
            for key, value in top1_names(row).items():
                if key.startswith('accuracy/top1'):
                    curves.setdefault(key, []).append(value)
    return curves


def mean_std(values: List[float]) -> List[float]:
    """Mean and sample standard deviation (0 for one value)."""
    mean = sum(values) / len(values)
    var = sum((v - mean)**2 for v in values) / max(len(values) - 1, 1)
    return [round(mean, 3), round(var**0.5, 3)]


def summarize(results: List[Dict]) -> Dict:
    """Per method and head: mean ± std of the final and best top-1.

    Heads are named by what follows ``accuracy/top1_`` (``one_k``, ...,
    ``best``); ``top1`` is ``accuracy/top1``, the model's answer.
    """
    summary: Dict[str, Dict] = {}
    for res in results:
        method = summary.setdefault(res['method'], dict(seeds=[],
                                                        minutes=[]))
        method['seeds'].append(res['seed'])
        method['minutes'].append(round(res['minutes'], 1))
        for key, curve in top1_names(res['top1']).items():
            head = key.split('top1')[-1].lstrip('_') or 'top1'
            runs = method.setdefault(head, dict(final=[], best=[]))
            runs['final'].append(curve[-1])
            runs['best'].append(max(curve))
    for method in summary.values():
        for head, runs in list(method.items()):
            if isinstance(runs, dict):
                method[head] = dict(runs, final_mean_std=mean_std(
                    runs['final']), best_mean_std=mean_std(runs['best']))
    return summary


def load_results(out_dir: str) -> Dict[str, Dict]:
    """The finished runs' JSON files of ``out_dir`` by file name."""
    results = {}
    for name in sorted(os.listdir(out_dir)):
        if '_seed' in name and name.endswith('.json'):
            with open(osp.join(out_dir, name)) as f:
                results[name] = json.load(f)
    return results


def paired_differences(results: List[Dict]) -> Dict[str, Dict]:
    """Final top-1 of the model's answer, method A - method B, per seed.

    The answer is ``accuracy/top1``; in runs logged when that name meant the
    best head, the answer of AutoMix/SAMix is their ``one_k`` head.

    Every ordered pair of methods that share seeds gets the differences on
    those seeds (runs of the same seed see the same data order and
    initialisation) and their mean ± std.

    Args:
        results (list[dict]): Finished runs (``method``, ``seed``,
            ``top1``).

    Returns:
        dict: ``{'A - B': dict(seeds, per_seed, mean_std)}``.
    """
    final = {}
    for res in results:
        curves = top1_names(res['top1'])
        # logs where accuracy/top1 was the best head: the answer is one_k
        curve = curves.get('accuracy/top1', curves.get(ONE_K))
        final.setdefault(res['method'], {})[res['seed']] = curve[-1]
    diffs = {}
    for a, runs_a in final.items():
        for b, runs_b in final.items():
            seeds = sorted(set(runs_a) & set(runs_b))
            if a == b or not seeds:
                continue
            per_seed = [round(runs_a[s] - runs_b[s], 3) for s in seeds]
            diffs[f'{a} - {b}'] = dict(seeds=seeds, per_seed=per_seed,
                                       mean_std=mean_std(per_seed))
    return diffs


def print_summary(summary: Dict) -> None:
    """One line per method: seeds, minutes, final top-1 mean ± std."""
    for method, res in summary.items():
        heads = ', '.join(
            f'{head} {v["final_mean_std"][0]:.2f} ± '
            f'{v["final_mean_std"][1]:.2f}' for head, v in res.items()
            if isinstance(v, dict))
        print(f'{method:16s} seeds {res["seeds"]} minutes {res["minutes"]}:'
              f' final {heads}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', required=True,
                        help='folder with train/<class>/ and test/<class>/')
    parser.add_argument('--per-class', type=int, default=500)
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--width', type=int, default=32,
                        help='ResNet-18 base channels (64 = full width)')
    parser.add_argument('--methods', nargs='+', default=list(CONFIGS),
                        choices=METHODS)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--ema-momentum', type=float, nargs=2, default=None,
                        metavar=('BASE', 'END'),
                        help='momentum-encoder EMA of AutoMix/SAMix '
                        '(default: the configs\' 0.999 -> 0.999999)')
    parser.add_argument('--val-interval', type=int, default=1,
                        help='evaluate every this many epochs')
    parser.add_argument('--ckpt-every', type=int, default=None,
                        help='keep a checkpoint every this many epochs '
                        '(for the Mixer\'s masks over training); default: '
                        'the last one only')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--work-dir', default='work_dirs/cifar10_accuracy')
    parser.add_argument('--out-dir', required=True,
                        help='folder of the per-run JSON files (finished '
                        'runs found there are not run again)')
    args = parser.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    os.makedirs(args.out_dir, exist_ok=True)
    data_root = make_subset(args.data_root, args.per_class, args.work_dir)
    for name, res in load_results(args.out_dir).items():
        if res.get('budget') != budget(args):
            sys.exit(f'error: {args.out_dir}/{name} is a run of '
                     'another budget; give another --out-dir')
    runs = [(m, s) for s in args.seeds for m in args.methods]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda run: run_method(*run, args, data_root), runs))
    errors = [f'{m} seed {s}: {r["error"]}'
              for (m, s), r in zip(runs, results) if 'error' in r]
    # every finished run of this budget, also those of other invocations
    done = list(load_results(args.out_dir).values())
    summary = summarize(done)
    diffs = paired_differences(done)
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(dict(budget=budget(args), methods=summary,
                       differences=diffs), f, indent=1)
    print(f'CIFAR-10, {args.per_class} train images per class, '
          f'{args.epochs} epochs, ResNet-18 width {args.width}, '
          f'EMA {args.ema_momentum or "config"}; mean ± std over seeds')
    print_summary(summary)
    for pair, diff in diffs.items():
        mean, std = diff['mean_std']
        print(f'{pair}: {mean:+.2f} ± {std:.2f} (seeds {diff["seeds"]})')
    for line in errors:
        print(f'FAILED {line}', file=sys.stderr)
    if errors:
        sys.exit(1)


if __name__ == '__main__':
    main()
