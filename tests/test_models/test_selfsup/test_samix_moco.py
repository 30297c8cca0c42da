# Copyright (c) samix_mm contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

import samix_mm.models.selfsup.samix_moco as samix_moco_module
import samix_mm.models.selfsup.selfsup_mix_ops as ops
from samix_mm.models.selfsup import gather_batch, global_partner_index
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
from narrow_samix_moco import (BASE, FEAT, LAST, NUM, QUEUE,  # noqa: I100
                               SIZE, model_cfg)

register_all_modules()
# the cluster head reads the pooled last stage
CLUSTER = dict(type='ClusterMixLoss', in_channels=LAST, num_clusters=3)


def build(**overrides):
    model = MODELS.build(model_cfg(**overrides))
    model.train()
    return model


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    views = [torch.randn(NUM, 3, SIZE, SIZE, generator=g) for _ in range(2)]
    samples = [DataSample(metainfo=dict(sample_idx=10 + i))
               for i in range(NUM)]
    return views, samples


def grads_by_part(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    names = ('backbone', 'neck', 'mixer', 'mixer_loss', 'backbone_k',
             'neck_k')
    return {
        name for name in names
        if any(p.grad is not None and p.grad.abs().sum() > 0
               for p in getattr(model, name).parameters())
    }


@pytest.mark.parametrize('variant', ['instance', 'cluster'])
def test_gradient_routing(variant):
    torch.manual_seed(0)
    np.random.seed(0)
    model = build(mixer_loss=CLUSTER) if variant == 'cluster' else build()
    if variant == 'cluster':
        model.mixer_loss.set_pseudo_labels(torch.arange(20) % 3)
    losses = model.loss(*batch())
    expected = {
        'loss_moco': {'backbone', 'neck'},
        'loss_mix_bb': {'backbone', 'neck'},
        # the Mixer loss and the mask loss train the Mixer only
        'loss_mix_mb': {'mixer'},
        'loss_mask': {'mixer'},
    }
    if variant == 'cluster':
        # CE on clean features: the cluster head only; mixup CE through the
        # trained head: head and Mixer; frozen-head mixup CE: Mixer only
        expected['loss_clst'] = {'mixer_loss'}
        expected['loss_clst_mix'] = {'mixer_loss', 'mixer'}
    assert set(losses) == set(expected)
    for name, parts in expected.items():
        assert torch.isfinite(losses[name])
        assert grads_by_part(model, losses[name]) == parts, name
    for part in (model.backbone_k, model.neck_k):
        assert not any(p.requires_grad for p in part.parameters())


def test_mix_bb_weight_scales_or_skips_the_backbone_branch():
    """``mix_bb_weight`` scales ``loss_mix_bb``; 0 removes the branch and
    leaves every other loss as it was (the SSL benchmark's control)."""
    def losses_with(weight):
        torch.manual_seed(0)
        np.random.seed(0)
        model = build(mix_bb_weight=weight)
        return {k: v.detach() for k, v in model.loss(*batch()).items()}

    full, half, off = losses_with(1.), losses_with(0.5), losses_with(0.)
    torch.testing.assert_close(half['loss_mix_bb'], 0.5 * full['loss_mix_bb'])
    assert 'loss_mix_bb' not in off
    for name in ('loss_moco', 'loss_mix_mb', 'loss_mask'):
        torch.testing.assert_close(off[name], full[name], msg=name)
    with pytest.raises(ValueError) as info:
        build(mix_bb_weight=-1.)
    assert str(info.value) == 'mix_bb_weight must be >= 0, got -1.0'


def test_init_weights_starts_momentum_as_copy():
    model = build()
    model.init_weights()
    for online, ema in ((model.backbone, model.backbone_k),
                        (model.neck, model.neck_k)):
        for (name, a), b in zip(online.state_dict().items(),
                                ema.state_dict().values()):
            torch.testing.assert_close(a, b, msg=name)


def test_init_cfg_pretrained_keeps_the_momentum_modules(tmp_path):
    """A whole-model ``Pretrained`` init restores the EMA modules as saved
    instead of copying the online ones over them."""
    source = build()
    with torch.no_grad():
        for p in source.backbone_k.parameters():
            p.add_(1.)  # the EMA modules differ from the online ones
    torch.save(dict(state_dict=source.state_dict()), tmp_path / 'a.pth')
    model = build(init_cfg=dict(type='Pretrained',
                                checkpoint=str(tmp_path / 'a.pth')))
    model.init_weights()
    for (name, a), b in zip(source.state_dict().items(),
                            model.state_dict().values()):
        assert torch.equal(a, b), name


def test_momentum_update_params_only():
    model = build()
    with torch.no_grad():
        for p in list(model.backbone.parameters()) + list(
                model.neck.parameters()):
            p.add_(1.)
        model.backbone_k.layer1[0].bn1.running_mean.fill_(3.)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.momentum = 0.9
    model.momentum_update()
    params = {n for n, _ in model.named_parameters()}
    for name, value in model.state_dict().items():
        prefix = name.split('.')[0]
        if prefix in ('backbone_k', 'neck_k') and name in params:
            online = before[name.replace(prefix, prefix[:-2], 1)]
            torch.testing.assert_close(value,
                                       0.9 * before[name] + 0.1 * online)
        else:  # online weights, BN statistics, queue: untouched
            torch.testing.assert_close(value, before[name], msg=name)
    model.momentum = 1.0
    frozen = copy.deepcopy(model.state_dict())
    model.momentum_update()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, frozen[name])


def test_queue_fifo_and_pointer_wrap_around():
    model = build(queue_len=10)
    keys = [torch.full((4, FEAT), float(b)) for b in (1, 2, 3)]
    model._dequeue_and_enqueue(keys[0])
    assert int(model.queue_ptr) == 4
    model._dequeue_and_enqueue(keys[1])
    assert int(model.queue_ptr) == 8
    model._dequeue_and_enqueue(keys[2])  # 2 at the end, 2 wrap to the front
    assert int(model.queue_ptr) == 2
    assert model.queue[0].tolist() == [3, 3, 1, 1, 2, 2, 2, 2, 3, 3]
    # a step advances the pointer by the batch size
    model.loss(*batch())
    assert int(model.queue_ptr) == (2 + NUM) % 10


def test_no_current_key_among_negatives():
    """With an all-zero queue every negative logit is exactly 0; any key of
    the current batch among the negatives would make one non-zero."""
    torch.manual_seed(0)
    model = build()
    model.queue.zero_()
    calls = []
    for head in (model.head, model.mixer_loss.head):
        original = head.loss

        def record(pos, neg, original=original):
            calls.append((pos.detach().clone(), neg.detach().clone()))
            return original(pos, neg)

        head.loss = record
    losses = model.loss(*batch())
    # loss_moco, 2 terms of loss_mix_bb, 2 terms of loss_mix_mb
    assert len(calls) == 5
    for pos, neg in calls:
        assert neg.shape == (NUM, QUEUE)
        assert torch.all(neg == 0)
        assert torch.all(pos.abs() > 0)
    for name in ('loss_moco', 'loss_mix_bb', 'loss_mix_mb'):
        assert torch.isfinite(losses[name])
    # the current keys enter the queue only after the losses
    assert torch.all(model.queue[:, :NUM].norm(dim=0) > 0.99)
    assert torch.all(model.queue[:, NUM:] == 0)


def test_partners_and_positives_wiring(monkeypatch):
    """Mixer inputs, mixed images and both positives use one partner."""
    torch.manual_seed(0)
    model = build(mean_margin=1.0)  # no area adjustment: mask_bb = raw
    perms = [torch.tensor([1, 2, 3, 0]), torch.tensor([2, 0, 3, 1])]
    monkeypatch.setattr(samix_moco_module, 'global_partner_index',
                        lambda num, device=None: perms.pop(0).clone())
    perm_bb, perm_mb = perms[0].clone(), perms[1].clone()
    seen = dict(mixer=[], neck=[], backbone_in=[], heads=[])
    momentum_view = model._momentum_view
    seen['views'] = []

    def keep_view(images):
        seen['views'].append(momentum_view(images))
        return seen['views'][-1]

    monkeypatch.setattr(model, '_momentum_view', keep_view)
    model.mixer.register_forward_hook(
        lambda m, args, out: seen['mixer'].append((args, out.detach())))
    model.neck.register_forward_hook(
        lambda m, args, out: seen['neck'].append(out[0].detach()))
    model.backbone.register_forward_pre_hook(
        lambda m, args: seen['backbone_in'].append(args[0].detach()))
    head_loss = model.head.loss
    model.head.loss = lambda pos, neg: (seen['heads'].append(pos.detach()),
                                        head_loss(pos, neg))[1]
    mixer_loss = model.mixer_loss.forward
    model.mixer_loss.forward = lambda q, pair: (seen.update(pair=pair),
                                                mixer_loss(q, pair))[1]
    queue = model.queue.clone()
    (im_q, im_k), samples = batch()
    model.loss([im_q, im_k], samples)

    (feat_q, key_q, _), (feat_k, key_k, _) = seen['views']
    (args_mb, _), (args_bb, mask_bb) = seen['mixer']  # mb first, then bb
    for args, perm in ((args_mb, perm_mb), (args_bb, perm_bb)):
        torch.testing.assert_close(args[0], feat_q)
        torch.testing.assert_close(args[1], feat_k[perm])
    # the online encoder sees view 1 of i mixed with view 2 of perm_bb(i)
    x_bb = seen['backbone_in'][1]
    torch.testing.assert_close(
        x_bb, im_q * mask_bb[:, :1] + im_k[perm_bb] * mask_bb[:, 1:])
    # its positives: key of view 2 of i and key of view 1 of perm_bb(i)
    q_bb = F.normalize(seen['neck'][1], dim=1)
    pos_a, pos_b = seen['heads'][1:3]
    torch.testing.assert_close(pos_a, (q_bb * key_k).sum(1, keepdim=True))
    torch.testing.assert_close(pos_b,
                               (q_bb * key_q[perm_bb]).sum(1, keepdim=True))
    pair = seen['pair']
    torch.testing.assert_close(pair.key_a, key_k)
    torch.testing.assert_close(pair.key_b, key_q[perm_mb])
    torch.testing.assert_close(pair.clean, key_q)
    assert pair.idx_a.tolist() == [10, 11, 12, 13]
    assert pair.idx_b.tolist() == (10 + perm_mb).tolist()
    torch.testing.assert_close(pair.queue, queue)


def test_global_partners_across_two_ranks(monkeypatch):
    """Two simulated processes: one permutation, aligned gathered rows.

    Every tensor of rank r encodes the global id ``g = r * N + i`` of its
    rows, so a fake all-gather can build the other rank's tensors.
    """
    world, num = 2, 3
    state = dict(rank=0, perm=None)

    def fake_all_gather(t):
        return [t + (r - state['rank']) * num for r in range(world)]

    def fake_broadcast(t, src=0):
        if state['perm'] is None:  # rank 0 draws, the others receive
            state['perm'] = t.clone()
        t.copy_(state['perm'])

    monkeypatch.setattr(ops, 'all_gather', fake_all_gather)
    monkeypatch.setattr(ops, 'broadcast', fake_broadcast)
    monkeypatch.setattr(ops, 'get_world_size', lambda: world)
    monkeypatch.setattr(ops, 'get_rank', lambda: state['rank'])
    partners = []
    for rank in range(world):
        state['rank'] = rank
        torch.manual_seed(100 + rank)  # ranks draw different numbers
        gid = torch.arange(num) + rank * num
        images = gid.float()[:, None, None, None].expand(num, 3, 2, 2)
        keys = gid.float()[:, None].expand(num, FEAT)
        ids = gid + 1000
        idx = global_partner_index(num)
        assert idx.tolist() == state['perm'][rank * num:(rank + 1) *
                                             num].tolist()
        p_img, p_key, p_id = (gather_batch(t)[idx]
                              for t in (images, keys, ids))
        for i in range(num):
            partner = int(idx[i])
            assert torch.all(p_img[i] == partner)
            assert torch.all(p_key[i] == partner)  # positive of the partner
            assert int(p_id[i]) == partner + 1000
        partners += idx.tolist()
    # every global sample is exactly one sample's partner
    assert sorted(partners) == list(range(world * num))


def test_backbone_mask_adjust_by_margin():
    model = build(mean_margin=0.1)
    mask = torch.empty(2, 2, 4, 4)
    mask[0, 0], mask[1, 0] = 0.45, 0.9  # means 0.45 (near) and 0.9 (far)
    mask[:, 1] = 1 - mask[:, 0]
    out = model._backbone_mask(mask, 0.5)
    torch.testing.assert_close(out[0], mask[0])
    assert float(out[1, 0].mean()) == pytest.approx(0.5)
    torch.testing.assert_close(out.sum(1), torch.ones(2, 4, 4))


def test_config_errors():
    with pytest.raises(ValueError, match='out_indices'):
        build(backbone=dict(BASE.backbone, out_indices=(3, )))
    with pytest.raises(ValueError, match='mixer.in_channels=64'):
        build(mixer=dict(model_cfg()['mixer'], in_channels=32))
    with pytest.raises(ValueError, match='feat_dim'):
        build(feat_dim=32)
    with pytest.raises(ValueError, match='mixer_loss.in_channels=128'):
        build(mixer_loss=dict(CLUSTER, in_channels=FEAT))
    with pytest.raises(ValueError, match='MultiView'):
        build().loss(batch()[0][:1], batch()[1])


@pytest.mark.parametrize('mode', ['raise', 'skip'])
def test_nonfinite_loss_raises_or_skips_without_a_trace(mode, monkeypatch):
    """As the supervised guard: a NaN Mixer loss stops the run with its
    name, or skips the step leaving weights, EMA, optimizer, BN statistics
    and the queue as they were."""
    from mmengine.logging import MessageHub
    from mmengine.optim import OptimWrapper
    torch.manual_seed(0)
    np.random.seed(0)
    model = build(nonfinite_loss=mode)
    optim = OptimWrapper(torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))
    g = torch.Generator().manual_seed(0)

    def data():
        views = [torch.randint(0, 256, (NUM, 3, SIZE, SIZE),
                               generator=g).float() for _ in range(2)]
        return dict(inputs=views, data_samples=batch()[1])

    model.train_step(data(), optim)  # one good step: optimizer state
    model.momentum_update()
    MessageHub.get_current_instance().update_info('iter', 4)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    opt = copy.deepcopy(optim.optimizer.state_dict()['state'])
    real = model.mixer_loss.forward
    monkeypatch.setattr(model.mixer_loss, 'forward', lambda *a: {
        k: v * float('nan') for k, v in real(*a).items()})
    if mode == 'raise':
        with pytest.raises(FloatingPointError, match=r'^loss_mix_mb is nan '
                           r'at iteration 5; '):
            model.train_step(data(), optim)
        return
    log_vars = model.train_step(data(), optim)
    model.momentum_update()
    assert model.step_skipped and 'loss_mix_mb' not in log_vars
    for key, value in model.state_dict().items():
        assert torch.equal(state[key], value), key
    for idx, values in optim.optimizer.state_dict()['state'].items():
        for name, value in values.items():
            assert torch.equal(opt[idx][name], value)


def test_control_updates_the_encoder_as_mmpretrain_moco():
    """With ``mix_bb_weight=0`` the online encoder gets MoCo v2's gradient.

    mmpretrain's ``MoCo`` with the same weights, queue and views: same
    MoCo loss, same gradients of backbone and neck (the Mixer's losses reach
    neither). Fails if the key pass normalises view 2 with other images.
    """
    torch.manual_seed(0)
    np.random.seed(0)
    model = build(mix_bb_weight=0.)
    cfg = model_cfg()
    moco = MODELS.build(dict(
        type='MoCo', backbone=dict(cfg['backbone'], out_indices=(3, )),
        neck=cfg['neck'], head=cfg['head'], queue_len=QUEUE, feat_dim=FEAT,
        momentum=0.01))
    moco.train()
    moco.backbone.load_state_dict(model.backbone.state_dict())
    moco.neck.load_state_dict(model.neck.state_dict())
    moco.queue.copy_(model.queue)
    views, samples = batch()
    losses = model.loss(views, samples)
    ref = moco.loss([v.clone() for v in views], samples)['loss']
    torch.testing.assert_close(losses['loss_moco'], ref)
    model.zero_grad()
    sum(losses.values()).backward()
    ref.backward()
    for part in ('backbone', 'neck'):
        ours = dict(getattr(model, part).named_parameters())
        for name, p in getattr(moco, part).named_parameters():
            torch.testing.assert_close(ours[name].grad, p.grad,
                                       msg=f'{part}.{name}')
