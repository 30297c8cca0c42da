# Copyright (c) samix_mm contributors. All rights reserved.
"""Full CIFAR-10 top-1 of mixing methods in a time budget, on one GPU.

The driver of ``benchmarks/gpu/run_cifar10_accuracy.sh`` (the prepared
command of a session lent a GPU; it also runs on a CPU, as its test does).
Every method trains the full-width CIFAR-stem ResNet-18 on all 50 000
training images and is evaluated on the 10 000 test images after each
epoch, with the configs and overrides of ``cifar10_accuracy.py``
(``method_config``: the method's CIFAR-100 config, the CIFAR-10 folder
dataset, cosine to 0), through ``tools/train.py`` and mmengine's Runner,
one subprocess per (method, seed). What this driver changes:

* **data in memory**: the JPG folders (extracted from ``--archive`` under
  ``--extract-dir`` once, or given as ``--data-root``) are decoded once
  into one uint8 array per split, cached as ``.npy`` under ``--cache-dir``;
  every run's ``InMemoryImageFolder`` maps that file and its dataloader
  workers start the pipeline from the decoded image (the loading transform
  of the config is dropped), so the GPU, not JPEG decoding, sets the pace;
* **GPU settings**: ``--amp`` (mmengine's ``AmpOptimWrapper``), cuDNN
  benchmark, ``--workers`` persistent, pinned-memory loader processes per
  run, evaluation batches of ``--val-batch-size``; no checkpoints unless
  ``--save-checkpoint``;
* **concurrency**: ``--jobs`` runs at once (default: all of them on
  CUDA, longest first; one on CPU);
* **time budget**: ``--epochs auto`` takes as many epochs as fit in what is
  left of ``--time-budget`` (seconds, counted from ``--started-at``) after
  the data are ready, at ``--est-epoch-s`` seconds per epoch for the whole
  group of concurrent runs (default 36: the four default methods on an
  H200, estimated in the header of ``gpu/run_cifar10_accuracy.sh``) plus
  ``--est-startup-s`` to start them. Runs
  still going at the deadline (budget minus ``--reserve-s`` for the summary
  and plots) are stopped; their JSON holds the epochs they finished
  (``"complete": false``), while a run that ends normally has
  ``"complete": true``.

Outputs in ``--out-dir``, as ``cifar10_accuracy.py`` writes them:
``<method>_seed<seed>.json`` per run (top-1 of every head after each
evaluation, minutes, budget; plus ``complete``, ``epochs_done``, median
seconds per training iteration and its data-wait part), ``summary.json``
(mean ± std over seeds of the final and best top-1 per head, with the
timings of this driver) and, through ``plot_curves.py``, ``top1.png`` and
``loss.png`` (skipped with a warning where matplotlib is missing). A run
whose complete JSON is already there is not trained again.

Example (CPU, a few minutes)::

    python benchmarks/gpu_cifar10.py --archive data/cifar10-jpg.tar.gz \\
        --device cpu --epochs 1 --width 8 --methods vanilla samix \\
        --out-dir /tmp/c10_out
"""
import argparse
import json
import math
import os
import os.path as osp
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Dict, List, Optional, Tuple

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)
from cifar10_accuracy import (METHODS, ROOT, method_config,  # noqa: E402
                              print_summary, summarize, val_curves)

#: Loading transforms of the folder configs, dropped for in-memory data.
LOADERS = ('LoadImageChecked', 'LoadImageFromFile')
#: Process groups of the training runs still going.
LIVE = set()
#: Relative cost of one epoch (GPU, launch-bound; benchmarks/RESULTS.md,
#: step cost on an H200): longest runs start first when --jobs is short.
#: FMix, GridMix, SaliencyMix: not measured there, scheduled like CutMix.
COST = dict(vanilla=1., mixup=1.05, cutmix=1.03, resizemix=1.05,
            fmix=1.03, gridmix=1.03, saliencymix=1.03,
            automix=2.13, samix=2.31)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument('--archive', help='cifar10-jpg.tar.gz (train/<class>/'
                      '*.jpg, test/<class>/*.jpg), extracted once')
    data.add_argument('--data-root', help='the extracted folder instead')
    parser.add_argument('--extract-dir', default='/tmp/cifar10-jpg')
    parser.add_argument('--cache-dir', default='/tmp/cifar10-cache',
                        help='where the decoded arrays (.npy) are kept')
    parser.add_argument('--methods', nargs='+', choices=METHODS,
                        default=['vanilla', 'mixup', 'cutmix', 'samix'])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--epochs', default='auto',
                        help="a number, or 'auto': as many as fit in the "
                        'time budget (see --est-epoch-s)')
    parser.add_argument('--time-budget', type=float, default=540.,
                        help='seconds for everything since --started-at')
    parser.add_argument('--started-at', type=float, default=None,
                        help='UNIX time the budget counts from (default: '
                        'when this driver starts)')
    parser.add_argument('--est-epoch-s', type=float, default=36.,
                        help='estimated wall seconds per epoch of the whole '
                        'group of concurrent runs, for --epochs auto')
    parser.add_argument('--est-startup-s', type=float, default=25.,
                        help='estimated seconds for a run to start training')
    parser.add_argument('--reserve-s', type=float, default=30.,
                        help='seconds kept after the deadline for the '
                        'summary, plots and packing')
    parser.add_argument('--width', type=int, default=64,
                        help='ResNet-18 base channels (64 = full width)')
    parser.add_argument('--batch-size', type=int, default=100)
    parser.add_argument('--val-batch-size', type=int, default=500)
    parser.add_argument('--ema-momentum', type=float, nargs=2, default=None,
                        metavar=('BASE', 'END'),
                        help='momentum-encoder EMA of AutoMix/SAMix '
                        '(default: the configs\' 0.999 -> 0.999999)')
    parser.add_argument('--val-interval', type=int, default=1)
    parser.add_argument('--device', choices=('cuda', 'cpu'), default=None,
                        help='default: cuda when available')
    parser.add_argument('--amp', action=argparse.BooleanOptionalAction,
                        default=None, help='mixed precision (default: on '
                        'for cuda)')
    parser.add_argument('--jobs', type=int, default=None,
                        help='runs at once (default: all on cuda, 1 on cpu)')
    parser.add_argument('--workers', type=int, default=None,
                        help='dataloader processes per run (default: the '
                        'cores shared by the concurrent runs, at most 4)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads per run (default: 2 on cuda, '
                        'the cores shared by the runs on cpu)')
    parser.add_argument('--log-interval', type=int, default=50)
    parser.add_argument('--save-checkpoint', action='store_true',
                        help='keep the last epoch\'s checkpoint')
    parser.add_argument('--no-plots', action='store_true')
    parser.add_argument('--work-dir', default='/tmp/gpu_cifar10/work')
    parser.add_argument('--out-dir', required=True,
                        help='folder of the per-run JSON files, summary and '
                        'plots')
    args = parser.parse_args(argv)
    if args.epochs != 'auto' and not args.epochs.isdigit():
        parser.error(f"--epochs {args.epochs!r}: give a number or 'auto'")
    return args


def resolve_device(args: argparse.Namespace) -> None:
    """Fill in the device-dependent defaults."""
    if args.device is None:
        import torch
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    cuda = args.device == 'cuda'
    args.amp = cuda if args.amp is None else args.amp
    if args.amp and not cuda:
        sys.exit('error: --amp needs --device cuda')
    cores = os.cpu_count() or 1
    runs = len(args.methods) * len(args.seeds)
    args.jobs = args.jobs or (runs if cuda else 1)
    share = max(1, cores // max(1, min(args.jobs, runs)))
    if args.workers is None:
        args.workers = min(4, max(share - 1, 0)) if cuda else 0
    if args.threads is None:
        args.threads = 2 if cuda else share


def extract(archive: str, dest: str) -> str:
    """Extract ``archive`` into ``dest`` once; the folder with ``train/``.

    A marker file records which archive (path, size, mtime) was extracted,
    so a second call with the same archive returns at once.
    """
    stat = os.stat(archive)
    stamp = f'{osp.abspath(archive)} {stat.st_size} {stat.st_mtime_ns}'
    marker = osp.join(dest, '.extracted')
    done = ''
    if osp.isfile(marker):
        with open(marker) as f:
            done = f.read()
    if done != stamp:
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        if shutil.which('tar'):
            subprocess.run(['tar', '-xzf', archive, '-C', dest], check=True)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter='data')
        with open(marker, 'w') as f:
            f.write(stamp)
    for root in (dest, *sorted(osp.join(dest, d) for d in os.listdir(dest))):
        if osp.isdir(osp.join(root, 'train')) and \
                osp.isdir(osp.join(root, 'test')):
            return root
    sys.exit(f'error: {archive} holds no train/ and test/ folders (at its '
             'top or one folder down)')


def build_caches(data_root: str, cache_dir: str) -> Dict[str, int]:
    """Decode both splits once into ``cache_dir``; image counts."""
    from samix_mm.datasets import InMemoryImageFolder
    counts = {}
    for split in ('train', 'test'):
        ds = InMemoryImageFolder(data_root=data_root, split=split,
                                 cache_dir=cache_dir,
                                 decode_threads=min(8, os.cpu_count() or 1))
        counts[split] = len(ds)
        counts['classes'] = len(ds.metainfo['classes'])
    return counts


def choose_epochs(args: argparse.Namespace, deadline: float) -> int:
    """``--epochs``, or as many as fit before ``deadline`` (at least 1)."""
    if args.epochs != 'auto':
        return int(args.epochs)
    left = deadline - time.time() - args.est_startup_s
    waves = math.ceil(len(args.methods) * len(args.seeds) / args.jobs)
    return max(1, int(left / (args.est_epoch_s * waves)))


def run_config(method: str, seed: int, args: argparse.Namespace,
               data_root: str, epochs: int):
    """``cifar10_accuracy.method_config`` on in-memory data, GPU-ready."""
    cfg = method_config(method, seed, SimpleNamespace(
        width=args.width, ema_momentum=args.ema_momentum, epochs=epochs,
        val_interval=args.val_interval, ckpt_every=None), data_root)
    cuda = args.device == 'cuda'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        dataset = loader.dataset
        dataset.type = 'InMemoryImageFolder'
        dataset.cache_dir = osp.abspath(args.cache_dir)
        dataset.pipeline = [t for t in dataset.pipeline
                            if t['type'] not in LOADERS]
        batch = args.batch_size if key == 'train_dataloader' else \
            args.val_batch_size
        loader.update(batch_size=batch, num_workers=args.workers,
                      persistent_workers=args.workers > 0, pin_memory=cuda)
    cfg.env_cfg.cudnn_benchmark = cuda
    cfg.default_hooks.checkpoint.update(
        interval=epochs if args.save_checkpoint else -1,
        save_last=args.save_checkpoint, max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = args.log_interval
    return cfg


def train_log(work_dir: str) -> Tuple[Optional[float], Optional[float]]:
    """Median seconds per training iteration and of its data wait."""
    runs = sorted(d for d in os.listdir(work_dir) if osp.isfile(
        osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        return None, None
    step, data = [], []
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        for row in map(json.loads, f):
            if 'loss' in row and 'time' in row:
                step.append(row['time'])
                data.append(row.get('data_time', 0.))
    if not step:
        return None, None
    return (round(statistics.median(step), 4),
            round(statistics.median(data), 4))


def budget(args: argparse.Namespace, epochs: int,
           counts: Dict[str, int]) -> Dict:
    """What every run of one benchmark shares (``cifar10_accuracy``'s keys
    and the batch, precision and device)."""
    return dict(per_class=counts['train'] // counts['classes'], epochs=epochs,
                width=args.width, ema_momentum=args.ema_momentum,
                val_interval=args.val_interval, batch_size=args.batch_size,
                amp=args.amp, device=args.device)


def train_until(cfg_file: str, work_dir: str, args: argparse.Namespace,
                deadline: float):
    """Run ``tools/train.py`` on ``cfg_file`` (log: ``work_dir/train.out``)
    until it ends or ``deadline``; its exit code or ``'deadline'``."""
    path = os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), PYTHONPATH=path,
               PYTHONUNBUFFERED='1')
    if args.device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = ''
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), cfg_file,
           '--work-dir', work_dir] + (['--amp'] if args.amp else [])
    with open(osp.join(work_dir, 'train.out'), 'w') as log:
        # a process group of its own (same session): the run and its
        # loader workers are stopped together
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, process_group=0)
        LIVE.add(proc.pid)
        try:
            return proc.wait(timeout=max(1., deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return 'deadline'
        finally:
            LIVE.discard(proc.pid)


def stop_runs_on_signals() -> None:
    """On SIGTERM/SIGINT/SIGHUP, kill the runs still going, then exit."""

    def handler(signum, frame):
        for pid in list(LIVE):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, handler)


def run_method(method: str, seed: int, args: argparse.Namespace,
               data_root: str, plan: Dict, deadline: float) -> Dict:
    """Train one (method, seed) until done or ``deadline``; its JSON."""
    name = f'{method}_seed{seed}'
    out = osp.join(args.out_dir, f'{name}.json')
    if osp.isfile(out):
        with open(out) as f:
            result = json.load(f)
        if result.get('complete', True):
            return result
    if deadline - time.time() < 5:
        return dict(method=method, seed=seed, minutes=0.,
                    error='not started: the deadline has passed')
    work_dir = osp.abspath(osp.join(args.work_dir, name))
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    cfg_file = osp.join(work_dir, f'{method}_cifar10.py')
    run_config(method, seed, args, data_root, plan['epochs']).dump(cfg_file)
    start = time.time()
    print(f'[{time.strftime("%H:%M:%S")}] start {name}', flush=True)
    code = train_until(cfg_file, work_dir, args, deadline)
    minutes = (time.time() - start) / 60
    try:
        curves = val_curves(work_dir)
    except (IndexError, FileNotFoundError):
        curves = {}
    done = max((len(c) for c in curves.values()), default=0)
    print(f'[{time.strftime("%H:%M:%S")}] end {name}: exit {code}, '
          f'{done} evaluations, {minutes:.1f} min', flush=True)
    if code not in (0, 'deadline') or not curves:
        return dict(method=method, seed=seed, minutes=minutes,
                    error=f'exit {code} after {done} evaluations, see '
                    f'{work_dir}/train.out')
    step_s, data_s = train_log(work_dir)
    result = dict(method=method, seed=seed, minutes=minutes, top1=curves,
                  work_dir=work_dir, budget=plan['budget'],
                  complete=code == 0 or done * args.val_interval >=
                  plan['epochs'], epochs_done=done * args.val_interval,
                  s_per_iter=step_s, data_s_per_iter=data_s)
    with open(out + '.tmp', 'w') as f:
        json.dump(result, f, indent=1)
    os.replace(out + '.tmp', out)
    return result


def check_out_dir(out_dir: str, expected: Dict) -> None:
    """Stop if ``out_dir`` holds runs of another budget."""
    for name in sorted(os.listdir(out_dir)):
        if '_seed' in name and name.endswith('.json'):
            with open(osp.join(out_dir, name)) as f:
                if json.load(f).get('budget') != expected:
                    sys.exit(f'error: {out_dir}/{name} is a run of another '
                             'budget; give another --out-dir')


def plot(results: List[Dict], args: argparse.Namespace,
         epochs: int) -> List[str]:
    """``top1.png`` and ``loss.png`` of the runs (none without matplotlib)."""
    try:
        import plot_curves
    except ImportError as err:
        print(f'warning: no plots ({err})', file=sys.stderr)
        return []
    runs = [f'{r["method"]}_seed{r["seed"]}={r["work_dir"]}' for r in results]
    title = f'CIFAR-10, ResNet-18 w{args.width}, {epochs} epochs:'
    try:
        return plot_curves.main(runs + ['--out-dir', args.out_dir,
                                        '--title', title, '--smooth', '3'])
    except Exception as err:  # noqa: BLE001 - the numbers matter more
        print(f'warning: plotting failed: {err!r}', file=sys.stderr)
        return []


def prepare_data(args: argparse.Namespace) -> Tuple[str, Dict[str, int],
                                                      float]:
    """Output folders, registries, the extracted folders and their caches.

    Returns:
        tuple: The data root, the image counts per split and the time at
        which extraction ended.
    """
    stop_runs_on_signals()
    os.makedirs(args.out_dir, exist_ok=True)
    os.makedirs(args.work_dir, exist_ok=True)
    sys.path.insert(0, ROOT)
    from samix_mm.utils import register_all_modules
    register_all_modules(False)
    data_root = (extract(args.archive, args.extract_dir) if args.archive
                 else osp.abspath(args.data_root))
    extracted = time.time()
    return data_root, build_caches(data_root, args.cache_dir), extracted


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    started = args.started_at or time.time()
    deadline = started + args.time_budget - args.reserve_s
    resolve_device(args)
    t0 = time.time()
    data_root, counts, t1 = prepare_data(args)
    t2 = time.time()
    epochs = choose_epochs(args, deadline)
    plan = dict(epochs=epochs, budget=budget(args, epochs, counts))
    check_out_dir(args.out_dir, plan['budget'])
    runs = sorted(((m, s) for s in args.seeds for m in args.methods),
                  key=lambda r: -COST.get(r[0].split('-')[0], 2.5))
    print(f'data: {counts["train"]} train / {counts["test"]} test images '
          f'(extract {t1 - t0:.0f} s, decode/cache {t2 - t1:.0f} s); '
          f'{epochs} epochs ({args.epochs}), {len(runs)} runs, {args.jobs} '
          f'at once, {args.workers} workers and {args.threads} threads each, '
          f'device {args.device}, amp {args.amp}; '
          f'{deadline - time.time():.0f} s to the deadline', flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda run: run_method(
            *run, args, data_root, plan, deadline), runs))
    errors = [f'{r["method"]} seed {r["seed"]}: {r["error"]}'
              for r in results if 'error' in r]
    done = [r for r in results if 'error' not in r]
    t3 = time.time()
    summary = dict(budget=plan['budget'], methods=summarize(done),
                   complete={f'{r["method"]}_seed{r["seed"]}': r['complete']
                             for r in done},
                   seconds=dict(extract=round(t1 - t0, 1),
                                decode=round(t2 - t1, 1),
                                train=round(t3 - t2, 1),
                                before_driver=round(t0 - started, 1)),
                   settings=dict(jobs=args.jobs, workers=args.workers,
                                 threads=args.threads,
                                 val_batch_size=args.val_batch_size,
                                 epochs_arg=args.epochs,
                                 est_epoch_s=args.est_epoch_s,
                                 time_budget=args.time_budget))
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print(f'CIFAR-10, {counts["train"]} train / {counts["test"]} test '
          f'images, {epochs} epochs, ResNet-18 width {args.width}, batch '
          f'{args.batch_size}, amp {args.amp}, EMA '
          f'{args.ema_momentum or "config"}; mean ± std over seeds')
    print_summary(summary['methods'])
    for r in done:
        if not r['complete']:
            print(f'CUT at the deadline: {r["method"]} seed {r["seed"]} '
                  f'after {r["epochs_done"]} of {epochs} epochs')
        print(f'{r["method"]} seed {r["seed"]}: {r["s_per_iter"]} s/iter '
              f'(data wait {r["data_s_per_iter"]} s)')
    if not args.no_plots and done:
        plot(done, args, epochs)
    print(f'driver took {time.time() - t0:.0f} s', flush=True)
    for line in errors:
        print(f'FAILED {line}', file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
