# Copyright (c) samix_mm contributors. All rights reserved.
"""The pretext task is learned: MoCo v2 and SAMix-I on SyntheticShapes.

DRAFT (calibration in progress).
"""
import ast
import copy
import os.path as osp
from itertools import islice
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine import Config
from mmengine.dataset import default_collate
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner, set_random_seed

from samix_mm.registry import DATASETS, HOOKS, MODELS
from samix_mm.utils import register_all_modules

from test_samix_moco_pipeline import CFG_DIR, NARROW, SAMIX_I  # noqa: E402

register_all_modules()
MOCO = osp.join(CFG_DIR, 'mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py')
STEPS, BATCH, QUEUE = 60, 32, 256
NUM_TRAIN, NUM_EVAL = 512, 256
FULL = QUEUE // BATCH  # steps until the queue holds only real keys
WINDOW = 10  # steps per loss window
LAM = 0.5  # λ of the mask probe
VIEW_KEEP = ('RandomResizedCrop', 'RandomFlip')  # colour transforms dropped


def narrow_cfg(path, **options):
    """The demo config at width 16 (``NARROW`` of the pipeline test), a
    queue of ``QUEUE``, ``BATCH`` images a batch, ``NUM_TRAIN`` images and
    views without colour jitter or grayscale; ``options`` are dotted keys.
    """
    cfg = Config.fromfile(path)
    has_mixer = 'mixer' in cfg.model
    opts = {
        key: ast.literal_eval(value)
        for key, value in (opt.split('=', 1) for opt in NARROW)
        if has_mixer or '.mixer.' not in key
    }
    opts.update({
        'model.queue_len': QUEUE,
        'train_dataloader.batch_size': BATCH,
        'train_dataloader.dataset.num_samples': NUM_TRAIN
    })
    opts.update(options)
    cfg.merge_from_dict(opts)
    multi_view = cfg.train_dataloader.dataset.pipeline[0]
    multi_view.transforms = [[
        t for t in multi_view.transforms[0] if t.type in VIEW_KEEP
    ]]
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    return cfg


def make_data(seed=0, steps=STEPS):
    """``steps`` training batches from the config's loader (two uint8
    views each) and one batch of two views of ``NUM_EVAL`` held-out
    (test-split) images."""
    cfg = narrow_cfg(SAMIX_I)
    set_random_seed(seed)
    held_out = DATASETS.build(
        dict(cfg.train_dataloader.dataset, num_samples=NUM_EVAL,
             test_mode=True))
    probe = default_collate([held_out[i] for i in range(NUM_EVAL)])
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=seed)
    batches = []
    while len(batches) < steps:  # epochs of the loader, reshuffled
        batches.extend(islice(loader, steps - len(batches)))
    return batches, probe


@torch.no_grad()
def retrieval(model, probe):
    """View-2 retrieval of the online encoder on held-out images.

    Features: GAP of the last backbone stage; BN normalises with the
    statistics of the held-out batch (a copy of the backbone in train
    mode), so the random init is not judged by its unset running
    statistics.

    Returns:
        tuple[float, float]: ``top1``, the fraction of view-1 queries whose
        nearest view-2 key (cosine, all held-out images) is their own; and
        ``margin``, the mean cosine of the positive pairs minus that of the
        other pairs, on features centred over the held-out set.
    """
    backbone = copy.deepcopy(model.backbone)
    backbone.train()  # mmpretrain's ResNet.train returns None
    views = model.data_preprocessor(probe, False)['inputs']
    feats = F.adaptive_avg_pool2d(backbone(torch.cat(views))[-1],
                                  1).flatten(1)
    query, key = F.normalize(feats, dim=1).chunk(2)
    top1 = (query @ key.t()).argmax(1) == torch.arange(len(query))
    query, key = F.normalize(feats - feats.mean(0), dim=1).chunk(2)
    sim = query @ key.t()
    num = len(sim)
    other = (sim.sum() - sim.trace()) / (num * num - num)
    return float(top1.float().mean()), float(sim.diag().mean() - other)


@torch.no_grad()
def mask_stats(model, probe, num=32):
    """The Mixer's masks at λ = ``LAM`` for view 1 of held-out image i and
    view 2 of image i + 1 (stage maps of the momentum encoder, eval mode).

    Returns:
        tuple[float, float]: mean per-sample spatial std of the λ-side
        mask, and mean |mask - λ|.
    """
    was_training = model.training
    model.eval()
    im_a, im_b = (v[:num]
                  for v in model.data_preprocessor(probe, False)['inputs'])
    mask = model.mixer(
        model.backbone_k(im_a)[0],
        model.backbone_k(im_b.roll(1, 0))[0], LAM, tuple(im_a.shape[-2:]))
    model.train(was_training)
    mask = mask[:, 0]
    return (float(mask.flatten(1).std(1).mean()),
            float((mask - LAM).abs().mean()))


def pretrain(path, batches, probe, seed=0, **options):
    """Train the config's model with a plain ``train_step`` loop and the
    config's custom hooks (SAMix: the EMA of ``SAMixMomentumHook``;
    mmpretrain's MoCo updates its EMA inside ``loss``).

    Returns:
        dict: ``retrieval`` (init, end of :func:`retrieval`), ``loss`` (``loss_moco`` / MoCo's
        ``loss`` of every step) and, with a Mixer, ``mask`` (init, end
        of :func:`mask_stats`).
    """
    cfg = narrow_cfg(path, **options)
    set_random_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    hooks = [HOOKS.build(h) for h in cfg.get('custom_hooks', [])]
    runner = SimpleNamespace(model=model, iter=0, max_iters=len(batches))
    has_mixer = hasattr(model, 'mixer')
    out = dict(retrieval=[retrieval(model, probe)], loss=[])
    if has_mixer:
        out['mask'] = [mask_stats(model, probe)]
    for i, data in enumerate(batches):
        runner.iter = i
        for hook in hooks:
            hook.before_train_iter(runner, i, data)
        log = model.train_step(data, optim_wrapper)
        for hook in hooks:
            hook.after_train_iter(runner, i, data, log)
        out['loss'].append(float(log['loss_moco' if has_mixer else 'loss']))
    out['retrieval'].append(retrieval(model, probe))
    if has_mixer:
        out['mask'].append(mask_stats(model, probe))
    return out


def loss_windows(losses):
    """Mean loss over the first ``WINDOW`` steps with a full queue and over
    the last ``WINDOW`` steps."""
    early, late = losses[FULL:FULL + WINDOW], losses[-WINDOW:]
    return sum(early) / len(early), sum(late) / len(late)
