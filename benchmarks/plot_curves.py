# Copyright (c) samix_mm contributors. All rights reserved.
"""Plot the top-1 and loss curves of mmengine work_dirs as PNG files.

For each work_dir the newest ``<timestamp>/vis_data/scalars.json`` is read
(one JSON object per line, as mmengine's ``LocalVisBackend`` writes it):
training rows carry ``loss`` (and ``loss_*`` terms) with ``iter``,
validation rows carry ``accuracy/top1*`` with ``step`` (the epoch of an
epoch-based run). Two figures are written to ``--out-dir``:

* ``top1.png``: top-1 of every head (``accuracy/top1_one_k``, ``_mix_k``,
  ``_one_q``, ``_mix_q``; plain ``accuracy/top1`` for single-head models)
  per epoch, one line per (run, head),
* ``loss.png``: the training loss against iteration, smoothed with a
  moving average of ``--smooth`` logged points; ``--terms`` adds every
  ``loss_*`` term (one panel per term).

Example::

    python benchmarks/plot_curves.py work_dirs/demo eta-off=work_dirs/eta \
        --out-dir plots --smooth 5 --terms
    python benchmarks/plot_curves.py --glob work_dirs --out-dir plots
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

HEADS = ('one_k', 'mix_k', 'one_q', 'mix_q')
STYLES = ('-', '--', '-.', ':')


def find_scalars(work_dir: str) -> str:
    """The newest ``*/vis_data/scalars.json`` under ``work_dir``."""
    paths = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    if not paths:
        raise FileNotFoundError(
            f'{work_dir}: no */vis_data/scalars.json (not a work_dir?)')
    return max(paths, key=lambda p: (osp.getmtime(p), p))


def read_scalars(path: str) -> Tuple[List[dict], List[dict]]:
    """Training rows (with ``loss``) and validation rows (with top-1)."""
    train, val = [], []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            if any(k.startswith('accuracy/top1') for k in row):
                val.append(row)
            elif 'loss' in row:
                train.append(row)
    return train, val


def smooth(values: np.ndarray, k: int) -> np.ndarray:
    """Trailing moving average over ``k`` points (shorter at the start)."""
    if k <= 1 or len(values) == 0:
        return values
    cum = np.cumsum(np.insert(values, 0, 0.))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - k, 0)
    return (cum[idx] - cum[lo]) / (idx - lo)


def parse_runs(items: List[str], pattern: Optional[str]) -> Dict[str, str]:
    """``{label: work_dir}`` from ``DIR``/``LABEL=DIR`` items and from
    ``pattern``, a folder of work_dirs or a glob of them (only folders
    with a ``scalars.json`` are taken)."""
    runs = {}
    for item in items:
        label, sep, path = item.partition('=')
        if not sep:
            label, path = osp.basename(osp.normpath(item)), item
        runs[label] = path
    if pattern:
        if osp.isdir(pattern):
            pattern = osp.join(pattern, '*')
        for path in sorted(glob.glob(pattern)):
            if osp.isdir(path) and glob.glob(
                    osp.join(path, '*', 'vis_data', 'scalars.json')):
                runs[osp.basename(path)] = path
    return runs


def top1_keys(val: List[dict]) -> List[str]:
    """The per-head top-1 keys of a run in head order, or the plain
    ``accuracy/top1`` when there are none.

    With per-head keys, ``accuracy/top1`` (the model's answer, ``one_k``;
    the best head in older logs) and ``accuracy/top1_best`` repeat one of
    the heads and are not drawn.
    """
    keys = {
        k
        for r in val for k in r
        if k.startswith('accuracy/top1_') and k != 'accuracy/top1_best'
    }
    order = [f'accuracy/top1_{h}' for h in HEADS]
    return sorted(keys, key=lambda k: (order + [k]).index(k)) or (
        ['accuracy/top1'] if any('accuracy/top1' in r for r in val) else [])


def plot_top1(data: dict, out: str, title: str) -> None:
    """Top-1 per epoch: a colour per run, a line style per head."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (label, (_, val)) in enumerate(data.items()):
        for j, key in enumerate(top1_keys(val)):
            rows = [r for r in val if key in r]
            head = key[len('accuracy/top1'):].lstrip('_') or 'top1'
            ax.plot([r.get('step', n + 1) for n, r in enumerate(rows)],
                    [r[key] for r in rows], color=f'C{i % 10}',
                    ls=STYLES[j % len(STYLES)], marker='o', ms=3,
                    label=f'{label} {head}')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel='epoch', ylabel='top-1 (%)', title=f'{title} top-1')
    ax.grid(alpha=.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_loss(data: dict, out: str, title: str, k: int,
              terms: bool) -> None:
    """Smoothed training loss (and ``loss_*`` terms) against iteration."""
    names = ['loss']
    if terms:
        names += sorted({key for train, _ in data.values() for r in train
                         for key in r if key.startswith('loss_')})
    fig, axes = plt.subplots(len(names), 1, squeeze=False, sharex=True,
                             figsize=(7, 2.5 + 2 * len(names)))
    for ax, name in zip(axes[:, 0], names):
        for i, (label, (train, _)) in enumerate(data.items()):
            rows = [r for r in train if name in r]
            if rows:
                ax.plot([r.get('iter', r.get('step')) for r in rows],
                        smooth(np.array([r[name] for r in rows], float), k),
                        color=f'C{i % 10}', label=label)
        ax.set(ylabel=name)
        ax.grid(alpha=.3)
        ax.legend(fontsize=7)
    axes[0, 0].set_title(f'{title} training loss (moving average {k})')
    axes[-1, 0].set_xlabel('iteration')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> List[str]:
    """Parse ``argv``, write the PNG files and return their paths."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='*', metavar='[LABEL=]DIR',
                        help='work_dirs; the label defaults to the folder')
    parser.add_argument('--glob', metavar='DIR|PATTERN',
                        help='a folder of work_dirs, or a glob of them')
    parser.add_argument('--out-dir', default='plots',
                        help='where top1.png and loss.png go')
    parser.add_argument('--title', default='', help='figure title prefix')
    parser.add_argument('--smooth', type=int, default=1, metavar='K',
                        help='moving average over K logged losses')
    parser.add_argument('--terms', action='store_true',
                        help='also plot every loss_* term')
    args = parser.parse_args(argv)
    runs = parse_runs(args.work_dirs, args.glob)
    if not runs:
        parser.error('no work_dirs given or found')
    data = {}
    for label, path in runs.items():
        try:
            data[label] = read_scalars(find_scalars(path))
        except FileNotFoundError as err:
            sys.exit(f'error: {err}')
    os.makedirs(args.out_dir, exist_ok=True)
    outs = [osp.join(args.out_dir, 'top1.png'),
            osp.join(args.out_dir, 'loss.png')]
    plot_top1(data, outs[0], args.title)
    plot_loss(data, outs[1], args.title, args.smooth, args.terms)
    for out in outs:
        print(f'wrote {out}')
    return outs


if __name__ == '__main__':
    main()
