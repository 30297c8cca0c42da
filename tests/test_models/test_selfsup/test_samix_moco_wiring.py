# Copyright (c) samix_mm contributors. All rights reserved.
"""Wiring of one ``SAMixMoCo.loss`` step, checked by value.

λ and both partner permutations are fixed by monkeypatching, the momentum
encoder is made different from the online one, and every tensor a part of
the model receives is recomputed independently on a copy of the model
taken before the step (``ref``). See docs/algorithm.md, "Self-supervised
SAMix".
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

import samix_mm.models.selfsup.samix_moco as samix_moco_module
from samix_mm.models.mixers import adjust_mask_area
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules

from narrow_samix_moco import (FEAT, NUM, QUEUE, SIZE,  # noqa: E402
                               model_cfg, perturb_)

register_all_modules()
PTR = 4
LAM_BB, LAM_MB = 0.3, 0.8
# no fixed points and perm_bb[i] != perm_mb[i] for every i
PERM_BB, PERM_MB = [1, 2, 3, 0], [3, 0, 1, 2]
TEMP = 0.2  # temperature of the ContrastiveHead and InstanceMixLoss
TOL = dict(rtol=1e-4, atol=1e-5)


def close(a, b):
    return torch.allclose(a, b, **TOL)


def build(**overrides):
    """The narrow model of tests/helpers (16-d keys, queue of 16)."""
    model = MODELS.build(model_cfg(**overrides))
    model.train()
    return model


def nce(query, pos_key, queue):
    """InfoNCE with one positive per row and the queue as negatives."""
    logits = torch.cat([(query * pos_key).sum(1, keepdim=True),
                        query @ queue], dim=1) / TEMP
    return F.cross_entropy(logits, torch.zeros(len(query), dtype=torch.long))


def match_rows(a, b):
    """Whether ``a`` is a row permutation of ``b``."""
    ka, kb = a.flatten(1).sum(1), b.flatten(1).sum(1)
    return a.shape == b.shape and close(a[ka.argsort()], b[kb.argsort()])


@pytest.fixture
def step(monkeypatch):
    """Run one step with fixed λ / partners and record what every part got.
    """
    torch.manual_seed(0)
    model = build()
    # the momentum encoder must differ from the online one, so that feeding
    # a part from the wrong encoder changes its input
    perturb_([model.backbone_k, model.neck_k], seed=1)
    with torch.no_grad():
        model.queue.copy_(F.normalize(torch.randn(FEAT, QUEUE), dim=0))
        model.queue_ptr.fill_(PTR)
    ref = copy.deepcopy(model)
    queue_old = model.queue.clone()

    def fake_beta(a, b, size=None):
        assert a == b == model.alpha and size == 2
        return np.array([LAM_BB, LAM_MB])

    perms = [torch.tensor(PERM_BB), torch.tensor(PERM_MB)]

    def fake_partners(num, device=None):
        assert num == NUM
        return perms.pop(0)

    monkeypatch.setattr(samix_moco_module.np.random, 'beta', fake_beta)
    monkeypatch.setattr(samix_moco_module, 'global_partner_index',
                        fake_partners)
    seen = dict(online=[], momentum=[], mixer=[], mask_loss=[])
    model.backbone.register_forward_pre_hook(
        lambda m, args: seen['online'].append(args[0].detach().clone()))
    model.backbone_k.register_forward_pre_hook(
        lambda m, args: seen['momentum'].append(args[0].detach().clone()))
    model.mixer.register_forward_hook(lambda m, args, out: seen[
        'mixer'].append((args, out, torch.is_grad_enabled())))
    model.mask_loss.register_forward_hook(
        lambda m, args, out: seen['mask_loss'].append(args))
    # the queue must still be the old one whenever a loss is computed
    seen['queue_unchanged'] = []
    for part in (model.head, model.mixer_loss):
        part.register_forward_pre_hook(lambda m, args: seen[
            'queue_unchanged'].append(torch.equal(model.queue, queue_old)))
    loss_fn = model.head.loss

    def head_loss(*args, **kwargs):
        seen['queue_unchanged'].append(torch.equal(model.queue, queue_old))
        return loss_fn(*args, **kwargs)

    monkeypatch.setattr(model.head, 'loss', head_loss)
    g = torch.Generator().manual_seed(2)
    im_q, im_k = (torch.randn(NUM, 3, SIZE, SIZE, generator=g)
                  for _ in range(2))
    samples = [DataSample(metainfo=dict(sample_idx=i)) for i in range(NUM)]
    losses = model.loss([im_q, im_k], samples)
    assert not perms, 'global_partner_index must be drawn twice'
    return dict(model=model, ref=ref, queue_old=queue_old, im_q=im_q,
                im_k=im_k, losses=losses, seen=seen,
                expected=expected_step(ref, im_q, im_k))


@torch.no_grad()
def expected_step(ref, im_q, im_k):
    """Everything a correct step computes, from the pre-step copy."""
    out = {}
    # each view is its own BN batch (as MoCo v2's key pass)
    for view, images in (('q', im_q), ('k', im_k)):
        stage, last = ref.backbone_k(images)
        out['feat_' + view] = stage
        out['key_' + view] = F.normalize(ref.neck_k((last, ))[0], dim=1)
    out['query'] = F.normalize(ref.neck(ref.backbone(im_q)[-1:])[0], dim=1)
    perm_bb, perm_mb = torch.tensor(PERM_BB), torch.tensor(PERM_MB)
    # backbone branch: detached, area-adjusted mask of the λ_bb call
    raw = ref.mixer(out['feat_q'], out['feat_k'][perm_bb], LAM_BB,
                    (SIZE, SIZE))
    far = (raw[:, 0].mean(dim=(1, 2)) - LAM_BB).abs() > ref.mean_margin
    assert far.any(), 'the test should exercise the area adjustment'
    out['mask_bb'] = torch.where(far[:, None, None, None],
                                 adjust_mask_area(raw, LAM_BB), raw)
    out['x_bb'] = im_q * out['mask_bb'][:, :1] + \
        im_k[perm_bb] * out['mask_bb'][:, 1:]
    out['q_bb'] = F.normalize(
        ref.neck(ref.backbone(out['x_bb'])[-1:])[0], dim=1)
    # Mixer branch: raw mask of the λ_mb call, momentum encoder and neck
    out['mask_mb'] = ref.mixer(out['feat_q'], out['feat_k'][perm_mb],
                               LAM_MB, (SIZE, SIZE))
    out['x_mb'] = im_q * out['mask_mb'][:, :1] + \
        im_k[perm_mb] * out['mask_mb'][:, 1:]
    out['q_mb'] = F.normalize(
        ref.neck_k(ref.backbone_k(out['x_mb'])[-1:])[0], dim=1)
    return out


def mixed_loss(query, key_k, key_partner, queue, lam):
    return lam * nce(query, key_k, queue) + \
        (1 - lam) * nce(query, key_partner, queue)


def mixer_calls(seen):
    """(args, mask) of the Mixer-branch (with grad) and backbone calls."""
    calls = seen['mixer']
    assert len(calls) == 2, f'the Mixer ran {len(calls)} times, expected 2'
    with_grad = [c for c in calls if c[2]]
    without = [c for c in calls if not c[2]]
    assert len(with_grad) == 1 and len(without) == 1, \
        'one Mixer call with grad (Mixer branch), one without (backbone)'
    return with_grad[0][:2], without[0][:2]


def test_mixer_reads_momentum_stage_maps_with_lambda_and_partner(step):
    exp = step['expected']
    (args_mb, mask_mb), (args_bb, mask_bb) = mixer_calls(step['seen'])
    for args, perm, lam in ((args_bb, PERM_BB, LAM_BB),
                            (args_mb, PERM_MB, LAM_MB)):
        feat_a, feat_b, lam_arg, size = args
        assert close(feat_a, exp['feat_q']), 'view 1, momentum encoder'
        assert close(feat_b, exp['feat_k'][perm]), \
            'view 2 of the partner, momentum encoder'
        assert float(lam_arg) == lam
        assert tuple(size) == (SIZE, SIZE)
    assert mask_mb.requires_grad and not mask_bb.requires_grad
    assert close(mask_mb, exp['mask_mb'])


def test_encoders_see_the_right_batches(step):
    exp, seen = step['expected'], step['seen']
    # online encoder: view 1 (MoCo), then the backbone-branch mixture
    online = seen['online']
    assert len(online) == 2, f'online encoder ran {len(online)} times'
    assert close(online[0], step['im_q'])
    assert close(online[1], exp['x_bb']), \
        'x_bb = im_q * mask_bb[:, 0] + im_k[idx_bb] * mask_bb[:, 1]'
    # momentum encoder: view 1, view 2 (each shuffled, its own batch), then
    # the Mixer-branch mixture
    momentum = seen['momentum']
    assert len(momentum) == 3, f'momentum encoder ran {len(momentum)} times'
    assert match_rows(momentum[0], step['im_q'])
    assert match_rows(momentum[1], step['im_k'])
    assert close(momentum[2], exp['x_mb']), \
        'x_mb = im_q * mask_mb[:, 0] + im_k[idx_mb] * mask_mb[:, 1]'


def test_loss_values(step):
    exp, losses, queue = step['expected'], step['losses'], step['queue_old']
    perm_bb, perm_mb = torch.tensor(PERM_BB), torch.tensor(PERM_MB)
    key_k, key_q = exp['key_k'], exp['key_q']
    assert close(losses['loss_moco'], nce(exp['query'], key_k, queue))
    for name, query, perm, other, lam in (
            ('loss_mix_bb', exp['q_bb'], perm_bb, perm_mb, LAM_BB),
            ('loss_mix_mb', exp['q_mb'], perm_mb, perm_bb, LAM_MB)):
        value = losses[name].detach()
        # positives: key_k(i) with weight λ, key_q(π(i)) with weight 1 - λ
        assert close(value, mixed_loss(query, key_k, key_q[perm], queue,
                                       lam)), name
        # the check is sensitive to each of these mistakes
        wrong = dict(
            swapped_lambda=mixed_loss(query, key_k, key_q[perm], queue,
                                      1 - lam),
            other_partner=mixed_loss(query, key_k, key_q[other], queue, lam),
            swapped_keys=mixed_loss(query, key_q[perm], key_k, queue, lam),
            view1_own_key=mixed_loss(query, key_q, key_q[perm], queue, lam),
            new_queue=mixed_loss(query, key_k, key_q[perm],
                                 step['model'].queue, lam))
        for what, bad in wrong.items():
            assert (value - bad).abs() > 1e-3, (name, what)
    mask_args = step['seen']['mask_loss']
    assert len(mask_args) == 1
    mask, lam = mask_args[0][:2]
    assert close(mask, exp['mask_mb']) and float(lam) == LAM_MB
    with torch.no_grad():
        expected_mask_loss = step['ref'].mask_loss(exp['mask_mb'], LAM_MB)
    assert close(losses['loss_mask'], expected_mask_loss)


def test_queue_after_step(step):
    model, old, key_k = step['model'], step['queue_old'], \
        step['expected']['key_k']
    # enqueued after every loss: unchanged while any loss was computed
    assert len(step['seen']['queue_unchanged']) >= 3
    assert all(step['seen']['queue_unchanged'])
    assert int(model.queue_ptr) == (PTR + NUM) % QUEUE
    new = model.queue
    assert close(new[:, PTR:PTR + NUM], key_k.t()), 'view-2 momentum keys'
    keep = torch.ones(QUEUE, dtype=torch.bool)
    keep[PTR:PTR + NUM] = False
    assert torch.equal(new[:, keep], old[:, keep])


@pytest.mark.parametrize('variant', ['instance', 'cluster'])
def test_momentum_update_moves_exactly_the_momentum_params(variant):
    torch.manual_seed(0)
    extra = {}
    if variant == 'cluster':  # a mixer_loss with parameters (the head)
        extra['mixer_loss'] = dict(type='ClusterMixLoss', in_channels=128,
                                   num_clusters=3)
    model = build(**extra)
    perturb_([model.backbone, model.neck, model.mixer, model.mixer_loss],
             seed=3)
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if buf.is_floating_point():
                buf.add_(torch.rand(buf.shape))
    model.momentum = 0.9
    before = {k: v.clone() for k, v in model.state_dict().items()}
    pairs = dict(backbone_k='backbone', neck_k='neck')
    moved = {
        f'{k}.{n}'
        for k in pairs for n, _ in getattr(model, k).named_parameters()
    }
    assert moved and all(not torch.equal(before[n], before[
        n.replace(n.split('.')[0], pairs[n.split('.')[0]], 1)])
                         for n in moved)
    model.momentum_update()
    after = model.state_dict()
    for name, value in after.items():
        if name in moved:
            prefix = name.split('.')[0]
            online = before[name.replace(prefix, pairs[prefix], 1)]
            torch.testing.assert_close(value, 0.9 * before[name] +
                                       0.1 * online, msg=name)
        else:  # online, Mixer, mixer_loss, every buffer, the queue
            assert torch.equal(value, before[name]), name


def test_backbone_mask_rescales_by_the_lambda_side_mean():
    """Only masks whose channel-0 (λ-side) mean is further than
    mean_margin from λ are rescaled to exactly λ."""
    model = build(mean_margin=0.1)
    lam = 0.3
    side = torch.tensor([0.75, 0.35, 0.5, 0.25])  # far, near, far, near
    mask_a = side[:, None, None, None].expand(NUM, 1, 8, 8).clone()
    mask_a[:, :, :4] += 0.1  # not constant, same mean
    mask_a[:, :, 4:] -= 0.1
    mask = torch.cat([mask_a, 1 - mask_a], dim=1)
    out = model._backbone_mask(mask, lam)
    means = out[:, 0].mean(dim=(1, 2))
    torch.testing.assert_close(means[[0, 2]], torch.full((2, ), lam))
    torch.testing.assert_close(out[[1, 3]], mask[[1, 3]])
    torch.testing.assert_close(out.sum(dim=1), torch.ones(NUM, 8, 8))


def test_samix_i_runs_without_sample_indices():
    """SAMix-I needs no dataset indices (only SAMix-C looks them up)."""
    torch.manual_seed(0)
    model = build()
    views = [torch.randn(NUM, 3, SIZE, SIZE) for _ in range(2)]
    losses = model.loss(views, [DataSample() for _ in range(NUM)])
    assert all(torch.isfinite(v) for v in losses.values())
    with pytest.raises(ValueError, match=r"^SAMixMoCo needs two views per "
                       r"image; use dict\(type='MultiView', num_views=2, "
                       r"\.\.\.\) in the train pipeline$"):
        model.loss(views[0], [])
