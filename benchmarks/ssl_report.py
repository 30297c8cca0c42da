# Copyright (c) samix_mm contributors. All rights reserved.
"""Report of ``benchmarks/ssl_sweep.sh``: probe top-1 against training cost.

Reads the JSON files of ``benchmarks/ssl_linear_probe.py`` (rows with
``checkpoint``, ``encoder``, ``bn_stats``, ``iter``, ``test_top1``) and,
for each checkpoint, its run's newest mmengine log
(``<run>/<timestamp>/vis_data/scalars.json``, the run folder being the
checkpoint's, or ``--work-dir/<run>``). A run folder named
``<variant>_s<seed>`` gives the variant and the seed. Training seconds up
to a checkpoint's iteration come from the logged training rows: the
cumulative mean iteration time ``time_global`` (written by the sweep)
times ``iter`` where a row has it, else the sum of the logged window means
``time`` times the iterations since the previous row (an estimate); in
between rows they are interpolated linearly, past the last row
extrapolated at the last row's rate. The random-init encoder is iteration
0 at 0 s.

For every encoder and BN mode (``stored``, ``clean``) it gives, per
variant and checkpoint epoch, the test top-1 mean ± sample std over seeds
with the mean iterations and training seconds, then SAMix-I − MoCo v2:

* at equal iterations: the same checkpoint epoch,
* at equal wall-clock: each SAMix-I checkpoint against the MoCo v2
  checkpoint whose mean training time is the closest not larger (the
  random-init encoder at 0 s if none is); no interpolation.

a figure ``ssl_report.png`` (with ``--out-dir``): top-1 against training
minutes for each variant of the online encoder (stored and clean BN), and
the acceptance lines, on the last checkpoint of each variant (mean over
seeds, online encoder, stored BN; the clean-BN ones are for information):
MoCo v2 ≥ random + 5, SAMix-I ≥ random + 3, |control − MoCo v2| ≤ 1.5.

Example::

    python benchmarks/ssl_report.py work_dirs/ssl_sweep_out/ssl_probe_*.json \\
        --out-dir work_dirs/ssl_sweep_out
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from plot_curves import find_scalars, plt, read_scalars  # noqa: E402

RANDOM, MOCO, SAMIX, CONTROL = 'random', 'moco', 'samix', 'samix_ctrl'
#: Acceptance lines: (name, variant, reference, lowest difference,
#: largest absolute difference), on mean top-1.
ACCEPTANCE = (
    ('MoCo v2 >= random + 5', MOCO, RANDOM, 5., None),
    ('SAMix-I >= random + 3', SAMIX, RANDOM, 3., None),
    ('|control - MoCo v2| <= 1.5', CONTROL, MOCO, None, 1.5),
)
RUN_NAME = re.compile(r'^(?P<variant>.+)_s(?P<seed>\d+)$')
EQUAL_TIME_RULE = ('each SAMix-I checkpoint against the MoCo v2 checkpoint '
                   'with the closest not larger mean training time (epoch '
                   '0 = random init at 0 s), no interpolation')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('probes', nargs='+', help='probe JSON files')
    parser.add_argument('--work-dir',
                        help='folder holding the run folders (default: '
                        'each checkpoint\'s folder)')
    parser.add_argument('--out-dir',
                        help='write ssl_report.json and ssl_report.md here')
    return parser.parse_args(argv)


def run_name(checkpoint: str) -> Tuple[str, Optional[int]]:
    """Variant and seed of a checkpoint's run folder ``<variant>_s<seed>``.

    Args:
        checkpoint (str): A checkpoint path, or ``random``.

    Returns:
        tuple[str, int | None]: The variant (the folder name if it has no
        seed suffix, ``random`` for the random-init encoder) and the seed.
    """
    if checkpoint == RANDOM:
        return RANDOM, None
    name = osp.basename(osp.dirname(osp.abspath(checkpoint)))
    match = RUN_NAME.match(name)
    return (match['variant'], int(match['seed'])) if match else (name, None)


def elapsed(rows: List[dict]) -> List[Tuple[int, float]]:
    """``(iter, training seconds up to it)`` of each logged training row.

    Args:
        rows (list[dict]): Training rows of a ``scalars.json`` with ``iter``
            and ``time_global`` (mean iteration time since the start) or
            ``time`` (mean over a window, taken for every iteration since
            the previous row).

    Returns:
        list[tuple[int, float]]: Increasing in ``iter``.
    """
    points, total, last = [], 0., 0
    for row in sorted(rows, key=lambda r: r['iter']):
        if 'time_global' in row:
            total = row['time_global'] * row['iter']
        else:
            total += (row['iter'] - last) * row['time']
        last = row['iter']
        points.append((last, total))
    return points


def seconds_at(points: List[Tuple[int, float]], iteration: int) -> float:
    """Training seconds up to ``iteration`` from :func:`elapsed` points.

    Linear between the points (and from 0 s at iteration 0), at the last
    segment's rate past the last point.

    Args:
        points (list[tuple[int, float]]): ``(iter, seconds)``, increasing.
        iteration (int): The iteration.

    Returns:
        float: Seconds.
    """
    iters, secs = zip((0, 0.), *points)
    if iteration <= iters[-1]:
        return float(np.interp(iteration, iters, secs))
    rate = (secs[-1] - secs[-2]) / (iters[-1] - iters[-2])
    return secs[-1] + rate * (iteration - iters[-1])


def load_rows(paths: List[str], work_dir: Optional[str] = None) -> List[dict]:
    """Probe rows with ``variant``, ``seed`` and ``train_seconds`` added.

    Args:
        paths (list[str]): Probe JSON files.
        work_dir (str, optional): Folder of the run folders. Defaults to
            None (each checkpoint's folder).

    Returns:
        list[dict]: One row per (checkpoint, encoder, BN mode): a row that
        several files hold with the same top-1 (e.g. the random-init
        encoder of every sweep) is kept once; with different top-1 it is
        an error (two probe settings mixed).
    """
    rows, runs, seen = [], {}, {}
    for path in paths:
        with open(path) as f:
            for row in json.load(f)['results']:
                row.setdefault('bn_stats', 'stored')
                ckpt = row['checkpoint']
                key = (ckpt if ckpt == RANDOM else osp.abspath(ckpt),
                       row.get('encoder'), row['bn_stats'])
                if key not in seen:
                    seen[key] = (path, row['test_top1'])
                    rows.append(row)
                elif seen[key][1] != row['test_top1']:
                    raise ValueError(
                        f'{ckpt} ({key[1]}, {key[2]} BN) has top-1 '
                        f'{seen[key][1]:.2f} in {seen[key][0]} and '
                        f'{row["test_top1"]:.2f} in {path}; report probes '
                        'of one setting (drop one of the files)')
    for row in rows:
        row['variant'], row['seed'] = run_name(row['checkpoint'])
        if row['variant'] == RANDOM:
            row['train_seconds'] = 0.
            continue
        if row.get('iter') is None:
            raise ValueError(f'{row["checkpoint"]}: no iteration in the probe '
                             'JSON (probe it with ssl_linear_probe.py of '
                             'this version)')
        run = osp.dirname(osp.abspath(row['checkpoint']))
        if work_dir:
            run = osp.join(work_dir, osp.basename(run))
        if run not in runs:
            runs[run] = elapsed(read_scalars(find_scalars(run))[0])
            if not runs[run]:
                raise ValueError(f'{run}: no training row in its log')
        row['train_seconds'] = seconds_at(runs[run], row['iter'])
    return rows


def mean_std(values: List[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample standard deviation (None for one value)."""
    std = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return float(np.mean(values)), std


def display_order(item: tuple) -> tuple:
    """Sort key of ``((mode, variant, epoch), rows)``: the online encoder and
    stored statistics first, random init first."""
    (mode, variant, epoch), _ = item
    encoder, bn_stats = mode.split('/')
    return (encoder != 'online', encoder, bn_stats != 'stored', bn_stats,
            variant != RANDOM, variant, epoch)


def summarise(rows: List[dict]) -> Dict[str, Dict[str, List[dict]]]:
    """Per ``encoder/bn_stats`` and variant, one entry per checkpoint epoch.

    Args:
        rows (list[dict]): From :func:`load_rows`.

    Returns:
        dict: ``{'online/stored': {'moco': [entry, ...], ...}, ...}``, each
        entry with ``epoch``, mean ``iter`` and ``train_seconds``,
        ``top1`` mean, ``top1_std``, ``seeds`` and the per-seed
        ``values``, by epoch.
    """
    groups: Dict[tuple, List[dict]] = {}
    for row in rows:
        key = (f'{row["encoder"]}/{row["bn_stats"]}', row['variant'],
               row.get('epoch') or 0)
        groups.setdefault(key, []).append(row)
    table: Dict[str, Dict[str, List[dict]]] = {}
    for (mode, variant, epoch), group in sorted(groups.items(),
                                                key=display_order):
        top1, std = mean_std([r['test_top1'] for r in group])
        table.setdefault(mode, {}).setdefault(variant, []).append(
            dict(epoch=epoch,
                 iter=float(np.mean([r.get('iter') or 0 for r in group])),
                 train_seconds=float(
                     np.mean([r['train_seconds'] for r in group])),
                 top1=top1,
                 top1_std=std,
                 seeds=[r['seed'] for r in group],
                 values=[r['test_top1'] for r in group]))
    return table


def equal_time_partner(entry: dict, moco: List[dict],
                       random: Optional[dict]) -> Optional[dict]:
    """The MoCo v2 entry with the largest training time <= ``entry``'s.

    Args:
        entry (dict): A SAMix-I entry of :func:`summarise`.
        moco (list[dict]): The MoCo v2 entries.
        random (dict, optional): The random-init entry (0 s), the partner
            when every MoCo v2 checkpoint took longer.

    Returns:
        dict | None: The partner, None if there is none.
    """
    time = entry['train_seconds']
    candidates = [e for e in moco if e['train_seconds'] <= time]
    if random is not None:
        candidates.append(random)
    return max(candidates, key=lambda e: e['train_seconds'], default=None)


def pair(samix: dict, moco: dict, moco_last: dict, equal_time: bool) -> dict:
    """One SAMix-I − MoCo v2 item of :func:`compare`.

    Args:
        samix (dict): The SAMix-I entry of :func:`summarise`.
        moco (dict): Its MoCo v2 (or random-init) partner.
        moco_last (dict): MoCo v2's last checkpoint.
        equal_time (bool): Whether the pairing is by training time.

    Returns:
        dict: Both sides' epoch, seconds and top-1, the difference
        ``delta`` and ``moco_ended``: at equal wall-clock, the partner is
        MoCo v2's last checkpoint and took less time (MoCo v2 stopped
        earlier; not an equal-time pair).
    """
    return dict(samix_epoch=samix['epoch'],
                samix_seconds=samix['train_seconds'],
                samix_top1=samix['top1'], moco_epoch=moco['epoch'],
                moco_seconds=moco['train_seconds'], moco_top1=moco['top1'],
                delta=samix['top1'] - moco['top1'],
                moco_ended=equal_time and moco is moco_last
                and moco['train_seconds'] < samix['train_seconds'])


def compare(variants: Dict[str, List[dict]]) -> Dict[str, List[dict]]:
    """SAMix-I − MoCo v2 at equal iterations and at equal wall-clock.

    Args:
        variants (dict): One mode of :func:`summarise`.

    Returns:
        dict: ``equal_iters`` (the same checkpoint epoch) and
        ``equal_time`` (:func:`equal_time_partner`) lists of :func:`pair`
        items, empty without both variants.
    """
    samix, moco = variants.get(SAMIX, []), variants.get(MOCO, [])
    pairs: Dict[str, List[dict]] = dict(equal_iters=[], equal_time=[])
    if not moco:
        return pairs
    random = (variants.get(RANDOM) or [None])[0]
    by_epoch = {e['epoch']: e for e in moco}
    for entry in samix:
        if entry['epoch'] in by_epoch:
            pairs['equal_iters'].append(
                pair(entry, by_epoch[entry['epoch']], moco[-1], False))
        partner = equal_time_partner(entry, moco, random)
        if partner is not None:
            pairs['equal_time'].append(pair(entry, partner, moco[-1], True))
    return pairs


def acceptance(variants: Dict[str, List[dict]]) -> List[dict]:
    """The :data:`ACCEPTANCE` lines on each variant's last checkpoint.

    Args:
        variants (dict): One mode of :func:`summarise`.

    Returns:
        list[dict]: ``name``, ``value`` (the difference of mean top-1) and
        ``passed`` (None where a variant is missing).
    """
    last = {v: entries[-1]['top1'] for v, entries in variants.items()}
    lines = []
    for name, variant, ref, lowest, largest in ACCEPTANCE:
        if variant not in last or ref not in last:
            lines.append(dict(name=name, value=None, passed=None))
            continue
        value = last[variant] - last[ref]
        passed = value >= lowest if lowest is not None else \
            abs(value) <= largest
        lines.append(dict(name=name, value=value, passed=passed))
    return lines


def fmt(value: Optional[float], spec: str = '.2f') -> str:
    """``value`` formatted, ``-`` for None."""
    return '-' if value is None else format(value, spec)


def per_seed(entry: dict) -> str:
    """``s0: 51.20, s1: 50.85`` (the values alone where seeds are unknown)."""
    return ', '.join(f'{v:.2f}' if seed is None else f's{seed}: {v:.2f}'
                     for seed, v in zip(entry['seeds'], entry['values']))


def variant_table(variants: Dict[str, List[dict]]) -> List[str]:
    """Markdown rows: top-1 per variant and checkpoint epoch."""
    lines = ['| variant | epoch | iter | train s | top-1 | std | seeds | '
             'per seed |', '|' + '---|' * 8]
    for variant, entries in variants.items():
        lines += [
            f'| {variant} | {e["epoch"]} | {e["iter"]:.0f} | '
            f'{e["train_seconds"]:.0f} | {e["top1"]:.2f} | '
            f'{fmt(e["top1_std"])} | {len(e["values"])} | {per_seed(e)} |'
            for e in entries
        ]
    return lines


def pair_table(pairs: Dict[str, List[dict]]) -> List[str]:
    """Markdown rows: SAMix-I − MoCo v2 (none without pairs)."""
    if not any(pairs.values()):
        return []
    lines = [f'SAMix-I − MoCo v2 (mean top-1); equal wall-clock: '
             f'{EQUAL_TIME_RULE}; * = MoCo v2 had stopped (its last '
             'checkpoint, less training time)', '',
             '| pairing | SAMix-I epoch | s | MoCo v2 epoch | s | SAMix-I | '
             'MoCo v2 | Δ |', '|' + '---|' * 8]
    for kind, items in pairs.items():
        lines += [
            f'| {kind} | {c["samix_epoch"]} | {c["samix_seconds"]:.0f} | '
            f'{c["moco_epoch"]}{"*" * c["moco_ended"]} | '
            f'{c["moco_seconds"]:.0f} | '
            f'{c["samix_top1"]:.2f} | {c["moco_top1"]:.2f} | '
            f'{c["delta"]:+.2f} |' for c in items
        ]
    return lines


def markdown(report: dict) -> str:
    """The report as Markdown: per mode, the tables and acceptance lines."""
    verdict = {True: 'PASS', False: 'FAIL', None: 'n/a'}
    lines = []
    for mode, part in report['modes'].items():
        note = '' if mode == 'online/stored' else ' (for information)'
        sections = [
            variant_table(part['variants']),
            pair_table(part['samix_minus_moco']),
            [f'- acceptance{note}: {a["name"]}: '
             f'{fmt(a["value"], "+.2f")} {verdict[a["passed"]]}'
             for a in part['acceptance']],
        ]
        lines.append(f'## {mode} (encoder/BN statistics)')
        for section in sections:
            if section:
                lines += [''] + section
        lines.append('')
    return '\n'.join(lines)


def plot(report: dict, out: str) -> Dict[str, Dict[str, tuple]]:
    """Top-1 against training minutes, a panel per online BN mode.

    Each variant is a line through its checkpoints (mean over seeds, error
    bar = sample std) starting at the random-init encoder (0 min); the
    random-init top-1 is also a dashed level line.

    Args:
        report (dict): From :func:`main`.
        out (str): The PNG file.

    Returns:
        dict: ``{mode: {variant: (minutes, top1, std)}}``, what is drawn.
    """
    modes = [m for m in report['modes'] if m.startswith('online/')]
    fig, axes = plt.subplots(1, max(len(modes), 1), squeeze=False,
                             figsize=(6 * max(len(modes), 1), 4.5))
    drawn: Dict[str, Dict[str, tuple]] = {}
    for ax, mode in zip(axes[0], modes):
        variants = report['modes'][mode]['variants']
        start = variants.get(RANDOM, [])[:1]
        drawn[mode] = {}
        for i, (name, entries) in enumerate(
                (n, e) for n, e in variants.items() if n != RANDOM):
            points = start + entries
            series = ([p['train_seconds'] / 60 for p in points],
                      [p['top1'] for p in points],
                      [p['top1_std'] or 0. for p in points])
            drawn[mode][name] = series
            ax.errorbar(*series, color=f'C{i % 10}', marker='o', ms=4,
                        capsize=3, label=name)
        if start:
            ax.axhline(start[0]['top1'], color='grey', ls='--', lw=1,
                       label='random init')
        ax.set(xlabel='training minutes (mean over seeds)',
               ylabel='probe top-1 (%)', title=f'{mode} BN')
        ax.grid(alpha=.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return drawn


def main(argv: Optional[List[str]] = None) -> dict:
    """Print the report (Markdown), write it with ``--out-dir``, return it."""
    args = parse_args(argv)
    table = summarise(load_rows(args.probes, args.work_dir))
    report = dict(probes=args.probes, equal_time_rule=EQUAL_TIME_RULE,
                  modes={
                      mode: dict(variants=variants,
                                 samix_minus_moco=compare(variants),
                                 acceptance=acceptance(variants)
                                 if mode.startswith('online/') else [])
                      for mode, variants in table.items()
                  })
    text = markdown(report)
    print(text)
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        with open(osp.join(args.out_dir, 'ssl_report.json'), 'w') as f:
            json.dump(report, f, indent=1)
        with open(osp.join(args.out_dir, 'ssl_report.md'), 'w') as f:
            f.write(text + '\n')
        plot(report, osp.join(args.out_dir, 'ssl_report.png'))
    return report


if __name__ == '__main__':
    main()
