# Copyright (c) samix_mm contributors. All rights reserved.
"""Training-step time and peak memory of SAMix against its baselines.

Methods: vanilla, Mixup, CutMix, FMix, GridMix, SaliencyMix, Manifold
Mixup and PuzzleMix (``r18-cifar`` only), TransMix (``deit-s-224`` only),
AutoMix, SAMix, SAMix with
``checkpoint_mixer_branch=True`` (``samix-ckpt``) and SAMix^P (a plain
classifier whose batches the frozen Mixer of the SAMix config mixes). All
methods run through their real model classes and ``train_step`` (data
preprocessor, batch augments, losses, backward, optimizer step; plus the EMA
update for the momentum-encoder methods). Times are measured in ONE process
with the methods interleaved round by round, so that machine noise hits them
alike; the median per method is reported as a ratio to vanilla. Peak memory
is measured in a fresh subprocess per method on CPU (it is not noisy, but
it is per-process), as the growth of peak RSS over the built model on CPU; on
CUDA, ``max_memory_allocated`` of each method alone, in the same process
before the timing (one process for everything). On CPU every method runs with
:func:`~samix_mm.utils.cpu_memory.keep_freed_cpu_memory`, as
``tools/train.py`` does. ``--breakdown`` times the passes a SAMix step is
made of instead (its floor on this machine).

Examples::

    python benchmarks/step_cost.py --setting r18-cifar --rounds 12
    python benchmarks/step_cost.py --setting r50-224 --rounds 5
    python benchmarks/step_cost.py --setting deit-s-224 --rounds 3
    python benchmarks/step_cost.py --setting r18-cifar --breakdown
    python benchmarks/step_cost.py --setting r50-224 --device cuda --amp \
        --channels-last --rounds 30
"""
import argparse
import copy
import gc
import json
import os.path as osp
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from samix_mm.converters import export_mixer  # noqa: E402
from samix_mm.models.utils import forward_to_stage  # noqa: E402
from samix_mm.registry import MODELS  # noqa: E402
from samix_mm.utils import register_all_modules  # noqa: E402
from samix_mm.utils.cpu_memory import keep_freed_cpu_memory  # noqa: E402

SETTINGS = {
    # name: (configs per method, batch, image size, classes)
    'r18-cifar': dict(
        batch=64, size=32, classes=100,
        configs=dict(
            vanilla='configs/mixup_baselines/'
            'resnet18_1xb100-400e_cifar100.py',
            mixup='configs/mixup_baselines/'
            'resnet18_1xb100-mixup-400e_cifar100.py',
            cutmix='configs/mixup_baselines/'
            'resnet18_1xb100-cutmix-400e_cifar100.py',
            fmix='configs/mixup_baselines/'
            'resnet18_1xb100-fmix-400e_cifar100.py',
            gridmix='configs/mixup_baselines/'
            'resnet18_1xb100-gridmix-400e_cifar100.py',
            saliencymix='configs/mixup_baselines/'
            'resnet18_1xb100-saliencymix-400e_cifar100.py',
            # classifiers that mix in their own step (no batch augment):
            # here only, no 224 px ResNet configs of them exist
            manifoldmix='configs/mixup_baselines/'
            'resnet18_1xb100-manifoldmix-400e_cifar100.py',
            puzzlemix='configs/mixup_baselines/'
            'resnet18_1xb100-puzzlemix-400e_cifar100.py',
            automix='configs/automix/automix_resnet18_1xb100-400e_cifar100.py',
            samix='configs/samix/samix_resnet18_1xb100-400e_cifar100.py',
            # the Mixup classifier, its batches mixed by the frozen Mixer
            # exported from (an untrained model of) the SAMix config
            samixp=('configs/mixup_baselines/'
                    'resnet18_1xb100-mixup-400e_cifar100.py',
                    'configs/samix/samix_resnet18_1xb100-400e_cifar100.py'))),
    'r50-224': dict(
        batch=16, size=224, classes=1000,
        configs=dict(
            vanilla=None,  # mmpretrain ResNet-50 classifier, built below
            mixup=dict(type='Mixup', alpha=0.2),
            cutmix=dict(type='CutMix', alpha=1.0),
            fmix=dict(type='FMix', alpha=0.2),
            gridmix=dict(type='GridMix', alpha=0.2),
            saliencymix=dict(type='SaliencyMix', alpha=0.2),
            automix='configs/automix/automix_resnet50_4xb64-100e_in1k.py',
            samix='configs/samix/samix_resnet50_4xb64-100e_in1k.py',
            samixp=(None, 'configs/samix/samix_resnet50_4xb64-100e_in1k.py'))),
    # DeiT-S at 224 px, 100 classes (the CIFAR-100 ViT recipe); the plain
    # classifier averages the patch tokens, as the SAMix heads do
    'deit-s-224': dict(
        batch=16, size=224, classes=100,
        plain=dict(
            type='ImageClassifier',
            backbone=dict(type='VisionTransformer', arch='deit-small',
                          img_size=224, patch_size=16, out_indices=(11, ),
                          out_type='featmap'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=100,
                      in_channels=384,
                      loss=dict(type='CrossEntropyLoss', use_soft=True))),
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
        configs=dict(
            vanilla=None,
            mixup=dict(type='Mixup', alpha=0.8),  # alphas: no cost effect
            cutmix=dict(type='CutMix', alpha=2.0),
            # its own classifier (class-token head, attention re-weighting)
            transmix='configs/mixup_baselines/deit-small_1xb100-transmix-'
            '200e_cifar100.py',
            automix='configs/automix/automix_deit-small_1xb100-200e_'
            'cifar100.py',
            samix='configs/samix/samix_deit-small_1xb100-200e_cifar100.py',
            samixp=(None, 'configs/samix/'
                    'samix_deit-small_1xb100-200e_cifar100.py'))),
}
#: Variants of a method: name -> (method, model config overrides).
VARIANTS = {'samix-ckpt': ('samix', dict(checkpoint_mixer_branch=True))}
PLAIN_R50 = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=50, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=1000, in_channels=2048,
        loss=dict(type='CrossEntropyLoss', use_soft=True)))
NORM = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            to_rgb=True)


def samixp_augment(samix_config: str) -> dict:
    """A ``SAMixP`` batch augment with the Mixer of ``samix_config``.

    The Mixer and its encoder are those of a freshly built (untrained)
    SAMix model: the cost of SAMix^P does not depend on the weights.
    """
    cfg = Config.fromfile(osp.join(ROOT, samix_config))
    samix = MODELS.build(cfg.model.to_dict())
    export = export_mixer(dict(state_dict=samix.state_dict(),
                               meta=dict(cfg=cfg.pretty_text)))
    path = osp.join(tempfile.mkdtemp(prefix='samixp_'), 'mixer.pth')
    torch.save(export, path)
    return dict(type='SAMixP', mixer_file=path, mean=NORM['mean'],
                std=NORM['std'], alpha=2.0, lam_margin=0.08)


def build(setting: str, method: str, device: str, amp: bool,
          channels_last: bool):
    """Build (model, optim_wrapper) of one method or variant."""
    method, overrides = VARIANTS.get(method, (method, {}))
    info = SETTINGS[setting]
    entry = info['configs'][method]
    augment = None
    if isinstance(entry, tuple):  # SAMix^P: (classifier, SAMix source)
        entry, augment = entry[0], samixp_augment(entry[1])
    if isinstance(entry, str):
        cfg = Config.fromfile(osp.join(ROOT, entry))
        model_cfg = cfg.model.to_dict()
        optim_cfg = cfg.optim_wrapper.to_dict()
        if augment is not None:
            model_cfg['train_cfg'] = dict(augments=augment)
    else:
        model_cfg = copy.deepcopy(info.get('plain', PLAIN_R50))
        if entry is not None or augment is not None:
            model_cfg['train_cfg'] = dict(augments=augment or entry)
        else:  # vanilla: hard labels, plain CE
            model_cfg['head']['loss']['use_soft'] = False
        optim_cfg = dict(optimizer=copy.deepcopy(info.get(
            'optimizer', dict(type='SGD', lr=0.1, momentum=0.9,
                              weight_decay=1e-4))))
    model_cfg['data_preprocessor'] = dict(
        type=model_cfg.get('data_preprocessor', {}).get(
            'type', 'ClsDataPreprocessor'),
        num_classes=SETTINGS[setting]['classes'], **NORM)
    if model_cfg['type'] == 'ImageClassifier' and 'train_cfg' in model_cfg:
        model_cfg['data_preprocessor']['batch_augments'] = model_cfg.pop(
            'train_cfg')
    model_cfg.update(overrides)
    model = MODELS.build(model_cfg).to(device)
    if augment is not None:  # SAMixP has read its file
        shutil.rmtree(osp.dirname(augment['mixer_file']))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    if amp:
        optim_cfg['type'] = 'AmpOptimWrapper'
        optim_cfg['dtype'] = 'bfloat16' if device == 'cpu' else 'float16'
    optim_cfg.pop('paramwise_cfg', None)
    optim_cfg.pop('constructor', None)
    return model, build_optim_wrapper(model, optim_cfg)


def make_batch(setting: str, seed: int = 0) -> dict:
    info = SETTINGS[setting]
    g = torch.Generator().manual_seed(seed)
    n, s, c = info['batch'], info['size'], info['classes']
    inputs = torch.randint(0, 256, (n, 3, s, s), generator=g,
                           dtype=torch.uint8)
    labels = torch.randint(0, c, (n, ), generator=g)
    return dict(inputs=list(inputs),
                data_samples=[DataSample().set_gt_label(int(y))
                              for y in labels])


def step_fn(model, optim_wrapper, batch: dict) -> Callable[[], None]:
    """One full training step, as the Runner's loop + hooks do it."""
    ema = getattr(model, 'momentum_update', None)

    def step():
        model.train_step(batch, optim_wrapper)
        if ema is not None:
            ema()
    return step


#: Submodules compiled by ``--compile modules`` (those a model has).
COMPILED_MODULES = ('backbone', 'backbone_k', 'neck', 'mixer', 'head',
                    'head_one', 'head_mix', 'head_one_k', 'head_mix_k')


def compile_model(model, mode: str) -> None:
    """Compile in place: ``step`` = ``model.train_step`` (what mmengine's
    ``compile=True`` does), ``modules`` = the encoders, neck, heads and
    Mixer only (the step's Python control stays eager)."""
    if mode == 'step':
        model.train_step = torch.compile(model.train_step)
        return
    for name in COMPILED_MODULES:
        module = getattr(model, name, None)
        if isinstance(module, torch.nn.Module):
            module.compile()


def dynamo_counts() -> Dict[str, int]:
    """Graphs compiled and graph breaks so far (dynamo's counters)."""
    from torch._dynamo.utils import counters
    return dict(graphs=int(counters['stats']['unique_graphs']),
                breaks=int(sum(counters['graph_break'].values())))


def sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def interleave(fns: Dict[str, Callable], warmup: int, rounds: int,
               device: str, first: Dict[str, List[float]] = None
               ) -> Dict[str, List[float]]:
    """Seconds of every call of each function, round by round.

    Each function runs ``warmup`` times (their seconds go to ``first`` if
    given: compile time), then once per round; the order is reversed every
    other round so that drifts of the machine hit all functions alike.
    """
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            sync(device)
            start = time.perf_counter()
            fns[name]()
            sync(device)
            if first is not None:
                first.setdefault(name, []).append(time.perf_counter() - start)
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            sync(device)
            start = time.perf_counter()
            fns[name]()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return times


def time_interleaved(args, first: Dict[str, List[float]] = None,
                     dynamo: Dict[str, dict] = None
                     ) -> Dict[str, List[float]]:
    """Interleaved step times of every method (and, with ``--compile``,
    of its compiled twin ``METHOD@MODE``, whose dynamo graph and break
    counts go to ``dynamo``)."""
    steps = {}
    for method in args.methods:
        model, optim = build(args.setting, method, args.device, args.amp,
                             args.channels_last)
        steps[method] = step_fn(model, optim, make_batch(args.setting))
        if args.compile:
            model, optim = build(args.setting, method, args.device,
                                 args.amp, args.channels_last)
            compile_model(model, args.compile)
            steps[f'{method}@{args.compile}'] = counted(
                step_fn(model, optim, make_batch(args.setting)),
                dynamo.setdefault(f'{method}@{args.compile}', {}))
    return interleave(steps, args.warmup, args.rounds, args.device, first)


def counted(step: Callable[[], None], into: dict) -> Callable[[], None]:
    """``step`` that adds the dynamo graphs/breaks of each call to
    ``into`` (per call, so the interleaved methods do not mix)."""
    def wrapped():
        before = dynamo_counts()
        step()
        for key, value in dynamo_counts().items():
            calls = into.setdefault(key, [])
            calls.append(value - before[key])
    return wrapped


def breakdown(args) -> Dict[str, float]:
    """Median times of the passes every SAMix step must make.

    Measured interleaved on the SAMix model of the setting, in seconds:
    the online encoder's forward + backward on one batch (what a vanilla
    step costs), the momentum encoder's no-grad forward up to the Mixer's
    stage and to the end, and the Mixer branch (Mixer, momentum encoder
    forward on the mixed batch, backward to the Mixer only). The online and
    Mixer-branch passes call the model's own ``branch_loss`` and
    ``mixer_branch``, the code its ``loss`` runs. A SAMix step
    needs 2 online passes + the stage forward + the Mixer branch; their sum
    over one online pass is the floor of the SAMix/vanilla ratio on this
    machine, whatever the FLOP count says.
    """
    model, _ = build(args.setting, 'samix', args.device, args.amp,
                     args.channels_last)
    data = model.data_preprocessor(make_batch(args.setting), True)
    x = data['inputs']
    labels = torch.cat([s.gt_label for s in data['data_samples']])
    with torch.no_grad():
        feat = forward_to_stage(model.backbone_k, x, model.mask_layer)
    index = torch.randperm(x.size(0), device=x.device)

    def online():
        model.zero_grad(set_to_none=True)  # accumulating would cost more
        model.branch_loss(model.backbone, model.head_one, x,
                          labels).backward()

    def stage():
        with torch.no_grad():
            forward_to_stage(model.backbone_k, x, model.mask_layer)

    def full():
        with torch.no_grad():
            model.backbone_k(x)

    def mixer_branch():
        model.zero_grad(set_to_none=True)
        sum(model.mixer_branch(x, feat, labels, index, 0.5).values()
            ).backward()

    passes = dict(online_fwd_bwd=online, momentum_fwd_to_stage=stage,
                  momentum_fwd_full=full, mixer_branch=mixer_branch)
    times = interleave(passes, args.warmup, args.rounds, args.device)
    median = {name: float(np.median(t)) for name, t in times.items()}
    median['samix_floor_x_vanilla'] = (
        2 * median['online_fwd_bwd'] + median['momentum_fwd_to_stage'] +
        median['mixer_branch']) / median['online_fwd_bwd']
    return median


def proc_status_mib(key: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB.

    ``VmHWM`` (peak RSS) belongs to the process image, unlike
    ``getrusage().ru_maxrss``, which a child inherits from its parent
    across fork + exec and so hides a smaller child's peak.
    """
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) / 1024.
    raise KeyError(key)


def peak_memory(args, method: str) -> float:
    """Peak memory (MiB) of a few steps of ``method`` alone.

    CPU: growth of peak RSS over the built model (call it in a fresh
    process). CUDA: ``max_memory_allocated`` over what was allocated before
    the model was built (model, gradients, optimizer state, activations),
    measured in this process before the timing builds every model; the
    model is freed afterwards.
    """
    cuda = args.device == 'cuda'
    if cuda:
        gc.collect()
        torch.cuda.empty_cache()
        before = torch.cuda.memory_allocated()
    model, optim = build(args.setting, method, args.device, args.amp,
                         args.channels_last)
    step = step_fn(model, optim, make_batch(args.setting))
    if not cuda:
        after_build = proc_status_mib('VmRSS')
        for _ in range(3):
            step()
        return proc_status_mib('VmHWM') - after_build
    step()  # gradients and optimizer state exist from here on
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(2):
        step()
    torch.cuda.synchronize()
    peak = (torch.cuda.max_memory_allocated() - before) / 2**20
    del model, optim, step
    gc.collect()
    torch.cuda.empty_cache()
    return peak


def cpu_peak_memory(args, method: str) -> float:
    """:func:`peak_memory` of ``method`` in a fresh subprocess (peak RSS
    is per process)."""
    cmd = [sys.executable, __file__, '--memory-only', '--setting',
           args.setting, '--device', args.device, '--methods', method]
    cmd += ['--amp'] if args.amp else []
    cmd += ['--channels-last'] if args.channels_last else []
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)['peak_mib']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--setting', choices=sorted(SETTINGS),
                        default='r18-cifar')
    parser.add_argument('--methods', nargs='+', default=None)
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--no-memory', action='store_true')
    parser.add_argument('--compile', choices=['step', 'modules'],
                        default=None,
                        help='also time a torch.compile twin of each method')
    parser.add_argument('--breakdown', action='store_true',
                        help='time the passes a SAMix step is made of')
    parser.add_argument('--out', default=None, help='JSON result file')
    parser.add_argument('--memory-only', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.methods = args.methods or [*SETTINGS[args.setting]['configs'],
                                    *VARIANTS]
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    torch.manual_seed(0)
    np.random.seed(0)
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True
    else:  # as tools/train.py does on CPU, for every method alike
        keep_freed_cpu_memory()

    if args.memory_only:
        print(json.dumps(dict(peak_mib=peak_memory(args, args.methods[0]))))
        return
    if args.breakdown:
        result = breakdown(args)
        for name, value in result.items():
            print(f'{name:24s} {value:8.4f}')
        if args.out:
            with open(args.out, 'w') as f:
                json.dump(dict(setting=args.setting, device=args.device,
                               threads=torch.get_num_threads(),
                               rounds=args.rounds, **result), f, indent=1)
        return

    memory = {}
    if not args.no_memory:  # CUDA: in this process, before the timing
        measure = peak_memory if args.device == 'cuda' else cpu_peak_memory
        memory = {method: measure(args, method) for method in args.methods}
    first, dynamo = {}, {}
    times = time_interleaved(args, first, dynamo)
    median = {m: float(np.median(t)) for m, t in times.items()}
    device = torch.cuda.get_device_name() if args.device == 'cuda' else \
        platform.processor() or platform.machine()
    print(f'setting {args.setting}, device {args.device} ({device}), '
          f'threads {torch.get_num_threads()}, amp {args.amp}, '
          f'channels_last {args.channels_last}, rounds {args.rounds}')
    print(f'{"method":18s} {"median s":>9s} {"x vanilla":>9s} '
          f'{"peak MiB":>9s} {"x vanilla":>9s}')
    for m in median:
        mem = memory.get(m)
        mem_txt = f'{mem:9.0f} {mem / memory["vanilla"]:9.2f}' if (
            mem is not None and memory.get('vanilla')) else ''
        print(f'{m:18s} {median[m]:9.4f} {median[m] / median["vanilla"]:9.2f} '
              f'{mem_txt}')
    result = dict(
        setting=args.setting, device=args.device, device_name=device,
        amp=args.amp, channels_last=args.channels_last, rounds=args.rounds,
        threads=torch.get_num_threads(), torch=torch.__version__,
        median_step_s=median,
        ratio_to_vanilla={m: median[m] / median['vanilla'] for m in median},
        peak_mib=memory,
        memory_ratio_to_vanilla={
            m: memory[m] / memory['vanilla'] for m in memory
        } if memory.get('vanilla') else {},
        all_step_s=times, warmup_step_s=first)
    if args.compile:  # per call: graphs compiled, graph breaks met
        result['dynamo_per_call'] = dynamo
        for m, counts in dynamo.items():
            print(f'{m}: warm-up {sum(first[m]):.1f} s, graphs compiled '
                  f'per call {counts["graphs"]}, breaks per call '
                  f'{counts["breaks"]}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
