# Copyright (c) samix_mm contributors. All rights reserved.
"""MoCo v2 against SAMix-I on full CIFAR-10, with a kNN monitor, in a budget.

The optional second stage of ``benchmarks/gpu/run_cifar10_accuracy.sh``
(``STAGES="sup ssl"`` or ``STAGES=ssl``). Both variants pre-train, without
labels, on the 50 000 CIFAR-10 training images from the in-memory cache of
``gpu_cifar10.py`` (same archive, extraction and ``InMemoryImageFolder``),
through ``tools/train.py`` and the project's SSL demo configs
(``configs/mocov2/mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py``,
``configs/samix_moco/samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py``)
with these overrides: the CIFAR-10 folder's
normalisation, ``--width`` (neck and Mixer follow it, as in
``ssl_sweep.sh``), batch ``--batch-size``, lr ``--lr``, queue
``--queue-len``, cosine over the chosen epochs, a checkpoint every
``--knn-every`` epochs and at the end; AMP and loader processes as in
``gpu_cifar10.py``; the two runs go at once on CUDA.

The kNN monitor: after training, the online encoder of every checkpoint
(and a random-init encoder, the floor) embeds the 50 000 training and
10 000 test images (global average pooling of the last stage, as
``ssl_linear_probe.py``); each test image takes the class of the
similarity-weighted vote of its ``--knn-k`` nearest training images
(cosine similarity, weights ``exp(s / --knn-t)``), which gives the test
top-1 per checkpoint epoch. Test labels are used by the monitor only.

``--epochs auto`` fits the epochs into ``--time-budget`` (from
``--started-at``) at ``--est-epoch-s`` per epoch of the pair, after the
data are ready, keeping ``--knn-reserve-s`` for the monitor and
``--reserve-s`` for the summary; runs still going at that deadline are
stopped and their saved checkpoints are evaluated
(``"complete": false``).

Outputs in ``--out-dir``: ``<variant>_seed<seed>.json`` (kNN top-1 per
checkpoint epoch, minutes, budget, ``complete``, seconds per iteration),
``ssl_summary.json`` (all variants, the random-init floor, timings),
``knn.png`` (kNN top-1 per epoch) and ``ssl_loss.png`` (training loss,
moving average, through ``plot_curves.py``).

Example (CPU, a few minutes)::

    python benchmarks/gpu_cifar10_ssl.py --data-root data/cifar10-jpg \\
        --device cpu --epochs 1 --width 8 --batch-size 32 --knn-every 1 \\
        --out-dir /tmp/ssl_out
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)
from gpu_cifar10 import (ROOT, prepare_data, resolve_device,  # noqa: E402
                         train_log, train_until)

#: Variant -> SSL demo config (CIFAR-stem ResNet-18).
CONFIGS = {
    'mocov2': 'configs/mocov2/mocov2_resnet18-w32_1xb64-20e_'
    'synthetic-shapes.py',
    'samix-i': 'configs/samix_moco/samix-mocov2_resnet18-w32_1xb64-20e_'
    'synthetic-shapes.py',
}
NORM = 'configs/_base_/datasets/cifar10_folder_bs100.py'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument('--archive', help='cifar10-jpg.tar.gz, extracted once')
    data.add_argument('--data-root', help='the extracted folder instead')
    parser.add_argument('--extract-dir', default='/tmp/cifar10-jpg')
    parser.add_argument('--cache-dir', default='/tmp/cifar10-cache')
    parser.add_argument('--variants', nargs='+', choices=list(CONFIGS),
                        default=list(CONFIGS))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--epochs', default='auto')
    parser.add_argument('--time-budget', type=float, default=540.)
    parser.add_argument('--started-at', type=float, default=None)
    parser.add_argument('--est-epoch-s', type=float, default=15.,
                        help='estimated wall seconds per epoch of the pair '
                        'of concurrent runs, for --epochs auto')
    parser.add_argument('--est-startup-s', type=float, default=25.)
    parser.add_argument('--knn-reserve-s', type=float, default=40.,
                        help='seconds kept for the kNN monitor')
    parser.add_argument('--reserve-s', type=float, default=20.)
    parser.add_argument('--width', type=int, default=64)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--lr', type=float, default=0.06)
    parser.add_argument('--queue-len', type=int, default=4096)
    parser.add_argument('--knn-every', type=int, default=None,
                        help='checkpoint (and kNN) interval in epochs '
                        '(default: about 4 points per run)')
    parser.add_argument('--knn-k', type=int, default=200)
    parser.add_argument('--knn-t', type=float, default=0.1)
    parser.add_argument('--device', choices=('cuda', 'cpu'), default=None)
    parser.add_argument('--amp', action=argparse.BooleanOptionalAction,
                        default=None)
    parser.add_argument('--jobs', type=int, default=None)
    parser.add_argument('--workers', type=int, default=None)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--log-interval', type=int, default=50)
    parser.add_argument('--no-plots', action='store_true')
    parser.add_argument('--work-dir', default='/tmp/gpu_cifar10/ssl')
    parser.add_argument('--out-dir', required=True)
    args = parser.parse_args(argv)
    if args.epochs != 'auto' and not args.epochs.isdigit():
        parser.error(f"--epochs {args.epochs!r}: give a number or 'auto'")
    args.methods = args.variants  # what resolve_device counts
    return args


def ssl_config(variant: str, seed: int, args: argparse.Namespace,
               data_root: str, epochs: int, every: int):
    """The variant's demo config on in-memory CIFAR-10, GPU-ready."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[variant]))
    norm = Config.fromfile(osp.join(ROOT, NORM)).data_preprocessor
    cfg.data_preprocessor.update(mean=norm.mean, std=norm.std)
    w = args.width
    model = cfg.model
    model.queue_len = args.queue_len
    model.backbone.base_channels = w
    model.neck.update(in_channels=8 * w, hid_channels=8 * w)
    if 'mixer' in model:
        model.mixer.in_channels = 4 * w
        model.mixer.value_neck_cfg.hidden_channels = 2 * w
    loader = cfg.train_dataloader
    pipeline = loader.dataset.pipeline
    loader.dataset = dict(type='InMemoryImageFolder', data_root=data_root,
                          split='train', cache_dir=osp.abspath(
                              args.cache_dir), pipeline=pipeline)
    cuda = args.device == 'cuda'
    loader.update(batch_size=args.batch_size, num_workers=args.workers,
                  persistent_workers=args.workers > 0, pin_memory=cuda,
                  drop_last=True)
    cfg.optim_wrapper.optimizer.lr = args.lr
    cfg.train_cfg.max_epochs = epochs
    cfg.env_cfg.cudnn_benchmark = cuda
    cfg.default_hooks.checkpoint.update(interval=every, save_last=True,
                                        max_keep_ckpts=-1)
    cfg.default_hooks.logger.interval = args.log_interval
    cfg.randomness = dict(seed=seed, deterministic=False)
    return cfg


def checkpoints(work_dir: str) -> Dict[int, str]:
    """``{epoch: path}`` of the run's saved checkpoints."""
    found = {}
    for path in glob.glob(osp.join(work_dir, 'epoch_*.pth')):
        match = re.fullmatch(r'epoch_(\d+)\.pth', osp.basename(path))
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


class KNNMonitor:
    """Weighted kNN top-1 of frozen encoders on the cached CIFAR-10 arrays.

    Args:
        data_root (str): The folder with ``train/`` and ``test/``.
        cache_dir (str): The cache of :class:`InMemoryImageFolder`.
        width (int): ``base_channels`` of the encoders.
        device (str): Where encoders and the kNN run.
        k (int): Neighbours that vote.
        t (float): Temperature of the vote weights ``exp(sim / t)``.
    """

    def __init__(self, data_root: str, cache_dir: str, width: int,
                 device: str, k: int, t: float) -> None:
        import torch
        from mmengine.config import Config

        from samix_mm.datasets import InMemoryImageFolder
        norm = Config.fromfile(osp.join(ROOT, NORM)).data_preprocessor
        mean = torch.tensor(norm.mean).view(1, 3, 1, 1)
        std = torch.tensor(norm.std).view(1, 3, 1, 1)
        self.data = {}
        for split in ('train', 'test'):
            ds = InMemoryImageFolder(data_root=data_root, split=split,
                                     cache_dir=cache_dir)
            imgs = torch.from_numpy(ds.images[..., ::-1].copy())  # RGB
            imgs = (imgs.permute(0, 3, 1, 2).float() - mean) / std
            self.data[split] = (imgs, torch.as_tensor(ds.get_gt_labels()))
        self.width, self.device, self.k, self.t = width, device, k, t

    def __call__(self, checkpoint: str) -> float:
        """Test top-1 (%) of the online encoder of ``checkpoint`` (or
        ``'random'``)."""
        import torch
        import torch.nn.functional as F
        from ssl_linear_probe import build_encoder, embed
        model = build_encoder(checkpoint, 'online', self.width,
                              0).to(self.device)
        feats = {
            split: F.normalize(embed(model, imgs, self.device), dim=1).to(
                self.device)
            for split, (imgs, _) in self.data.items()
        }
        train_y = self.data['train'][1].to(self.device)
        test_y = self.data['test'][1].to(self.device)
        classes = int(train_y.max()) + 1
        k = min(self.k, len(train_y))
        correct = 0
        with torch.no_grad():
            for start in range(0, len(test_y), 1000):
                sim = feats['test'][start:start + 1000] @ feats['train'].T
                top, idx = sim.topk(k, dim=1)
                votes = torch.zeros(len(sim), classes, device=self.device)
                votes.scatter_add_(1, train_y[idx], (top / self.t).exp())
                correct += int((votes.argmax(1) ==
                                test_y[start:start + 1000]).sum())
        return round(100 * correct / len(test_y), 2)


def plot(results: List[Dict], floor: float, out_dir: str) -> None:
    """``knn.png`` (kNN top-1 per epoch) and ``ssl_loss.png``."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        import plot_curves
        from matplotlib.ticker import MaxNLocator
    except ImportError as err:
        print(f'warning: no plots ({err})', file=sys.stderr)
        return
    try:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for i, res in enumerate(results):
            ax.plot(res['epochs'], res['knn_top1'], marker='o',
                    color=f'C{i % 10}',
                    label=f'{res["method"]} seed {res["seed"]}')
        ax.axhline(floor, color='gray', ls='--', label='random init')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel='epoch', ylabel='kNN top-1 (%)',
               title='CIFAR-10 SSL: kNN top-1 of the online encoder')
        ax.grid(alpha=.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(osp.join(out_dir, 'knn.png'), dpi=120)
        plt.close(fig)
        data = {f'{r["method"]}_seed{r["seed"]}': plot_curves.read_scalars(
            plot_curves.find_scalars(r['work_dir'])) for r in results}
        plot_curves.plot_loss(data, osp.join(out_dir, 'ssl_loss.png'),
                              'CIFAR-10 SSL:', 5, False)
    except Exception as err:  # noqa: BLE001 - the numbers matter more
        print(f'warning: plotting failed: {err!r}', file=sys.stderr)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    started = args.started_at or time.time()
    final = started + args.time_budget - args.reserve_s
    deadline = final - args.knn_reserve_s
    workers = args.workers
    resolve_device(args)
    if workers is None and args.device == 'cuda':
        # two views of colour-jittered crops cost more CPU than the
        # supervised pipeline: more loader processes per run
        share = (os.cpu_count() or 1) // max(1, args.jobs)
        args.workers = max(0, min(7, share - 1))
    t0 = time.time()
    data_root, counts, _ = prepare_data(args)
    t1 = time.time()
    runs = [(v, s) for s in args.seeds for v in reversed(args.variants)]
    if args.epochs == 'auto':
        waves = math.ceil(len(runs) / args.jobs)
        left = deadline - time.time() - args.est_startup_s
        epochs = max(1, int(left / (args.est_epoch_s * waves)))
    else:
        epochs = int(args.epochs)
    every = args.knn_every or max(1, math.ceil(epochs / 4))
    budget = dict(images=counts['train'], epochs=epochs, width=args.width,
                  batch_size=args.batch_size, lr=args.lr,
                  queue_len=args.queue_len, amp=args.amp, device=args.device)
    print(f'SSL: {counts["train"]} images, {epochs} epochs '
          f'({args.epochs}), kNN every {every}, {len(runs)} runs, '
          f'{args.jobs} at once, {args.workers} workers each; '
          f'{deadline - time.time():.0f} s to the deadline', flush=True)

    def train(run):
        variant, seed = run
        name = f'{variant}_seed{seed}'
        work_dir = osp.abspath(osp.join(args.work_dir, name))
        shutil.rmtree(work_dir, ignore_errors=True)
        os.makedirs(work_dir)
        cfg_file = osp.join(work_dir, f'{variant}_cifar10.py')
        ssl_config(variant, seed, args, data_root, epochs,
                   every).dump(cfg_file)
        start = time.time()
        print(f'[{time.strftime("%H:%M:%S")}] start {name}', flush=True)
        code = train_until(cfg_file, work_dir, args, deadline)
        minutes = (time.time() - start) / 60
        print(f'[{time.strftime("%H:%M:%S")}] end {name}: exit {code}, '
              f'{len(checkpoints(work_dir))} checkpoints, {minutes:.1f} min',
              flush=True)
        return dict(method=variant, seed=seed, minutes=minutes,
                    work_dir=work_dir, code=code)

    with ThreadPoolExecutor(args.jobs) as pool:
        trained = list(pool.map(train, runs))
    t2 = time.time()
    monitor = KNNMonitor(data_root, args.cache_dir, args.width, args.device,
                         args.knn_k, args.knn_t)
    floor = monitor('random')
    print(f'kNN top-1, random-init encoder: {floor:.2f}', flush=True)
    results, errors = [], []
    for run in sorted(trained, key=lambda r: (r['method'], r['seed'])):
        ckpts = checkpoints(run['work_dir'])
        if run['code'] not in (0, 'deadline') or not ckpts:
            errors.append(f'{run["method"]} seed {run["seed"]}: exit '
                          f'{run["code"]}, {len(ckpts)} checkpoints, see '
                          f'{run["work_dir"]}/train.out')
            continue
        curve = {}
        for epoch, path in ckpts.items():
            if time.time() > final:
                print('warning: no time left for the kNN of '
                      f'{path}', file=sys.stderr)
                break
            curve[epoch] = monitor(path)
            print(f'kNN top-1, {run["method"]} seed {run["seed"]} epoch '
                  f'{epoch}: {curve[epoch]:.2f}', flush=True)
        step_s, data_s = train_log(run['work_dir'])
        res = dict(method=run['method'], seed=run['seed'],
                   minutes=run['minutes'], epochs=list(curve),
                   knn_top1=list(curve.values()), knn_random_init=floor,
                   work_dir=run['work_dir'], budget=budget,
                   complete=run['code'] == 0 or max(ckpts) >= epochs,
                   epochs_done=max(ckpts),
                   s_per_iter=step_s, data_s_per_iter=data_s)
        results.append(res)
        with open(osp.join(args.out_dir,
                           f'{run["method"]}_seed{run["seed"]}.json'),
                  'w') as f:
            json.dump(res, f, indent=1)
    summary = dict(
        budget=budget, knn=dict(k=args.knn_k, t=args.knn_t),
        random_init=floor,
        variants={f'{r["method"]}_seed{r["seed"]}': dict(
            final=r['knn_top1'][-1] if r['knn_top1'] else None,
            best=max(r['knn_top1'], default=None), epochs=r['epochs'],
            knn_top1=r['knn_top1'], complete=r['complete'],
            s_per_iter=r['s_per_iter']) for r in results},
        seconds=dict(data=round(t1 - t0, 1), train=round(t2 - t1, 1),
                     knn=round(time.time() - t2, 1)))
    with open(osp.join(args.out_dir, 'ssl_summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    for name, res in summary['variants'].items():
        curve = dict(zip(res['epochs'], res['knn_top1']))
        cut = '' if res['complete'] else ' (CUT at the deadline)'
        print(f'{name:16s} kNN top-1 per epoch {curve}{cut}; '
              f'{res["s_per_iter"]} s/iter')
    if results and not args.no_plots:
        plot(results, floor, args.out_dir)
    print(f'SSL driver took {time.time() - t0:.0f} s', flush=True)
    for line in errors:
        print(f'FAILED {line}', file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
