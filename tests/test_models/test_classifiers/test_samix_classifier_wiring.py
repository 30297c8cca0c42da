# Copyright (c) samix_mm contributors. All rights reserved.
"""What each part of a SAMixClassifier step receives, checked by value.

λ and the pairings are fixed by monkeypatching the samplers, the momentum
encoder and heads are made to differ from the online ones, and every
sub-module call is recorded; the expected tensors are recomputed from a
copy of the model taken before the step.
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import samix_mm.models.classifiers.samix_classifier as clf_module
from samix_mm.models.utils import forward_to_stage, mixup_target
from samix_mm.registry import MODELS
from test_samix_classifier import NUM_CLASSES, batch, model_cfg

# the samplers return these in call order: idx_mb first, then idx_bb
IDX_MB = torch.tensor([1, 2, 3, 4, 5, 0])
IDX_BB = torch.tensor([3, 5, 4, 0, 2, 1])
LAM_MB, LAM_BB = 0.7, 0.35
MOMENTUM_PARTS = dict(backbone_k='backbone', head_one_k='head_one',
                      head_mix_k='head_mix')


def fix_randomness(monkeypatch, lam_mb, lam_bb):
    """np.random.beta gives (λ_mb, λ_bb); pairings IDX_MB, then IDX_BB."""
    monkeypatch.setattr(clf_module.np.random, 'beta',
                        lambda a, b, size: np.array([lam_mb, lam_bb]))
    pairings = iter([IDX_MB, IDX_BB])
    monkeypatch.setattr(clf_module, 'random_pairing',
                        lambda num, no_repeat, device: next(pairings))


def distinct_model(**overrides):
    """A model whose momentum modules differ from the online ones."""
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(**overrides))
    with torch.no_grad():
        for name in MOMENTUM_PARTS:
            for param in getattr(model, name).parameters():
                param.add_(torch.randn_like(param) * 0.05)
    return model.train()


class Recorder:
    """Inputs and outputs of every call of the watched modules."""

    def __init__(self, model):
        self.calls = {}
        self.handles = []
        watched = dict(backbone=model.backbone, backbone_k=model.backbone_k,
                       mixer=model.mixer, head_one=model.head_one,
                       head_mix=model.head_mix, head_mix_k=model.head_mix_k,
                       mask_loss=model.mask_loss)
        for head in ('head_one', 'head_mix', 'head_mix_k'):
            watched[f'{head}.loss'] = getattr(model, head).loss_module
        for name, module in watched.items():
            self.calls[name] = []
            self.handles.append(module.register_forward_hook(
                self._hook(name), with_kwargs=True))

    def _hook(self, name):
        def hook(module, args, kwargs, output):
            self.calls[name].append((args, kwargs, output))
        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()


def step(model, lam_mb, lam_bb, monkeypatch):
    """One loss() with fixed randomness; returns the losses, the recorded
    calls and a copy of the model from before the step."""
    fix_randomness(monkeypatch, lam_mb, lam_bb)
    ref = copy.deepcopy(model)
    inputs, samples = batch()
    rec = Recorder(model)
    losses = model.loss(inputs, samples)
    rec.remove()
    labels = torch.cat([s.gt_label for s in samples])
    return losses, rec.calls, ref, inputs, labels


def mixer_call(calls, lam):
    """The one Mixer call made with ``lam``: (feat_a, feat_b, mask)."""
    found = [(args[0], args[1], out) for args, _, out in calls['mixer']
             if args[2] == pytest.approx(lam)]
    assert len(found) == 1, f'{len(found)} Mixer calls with λ={lam}'
    return found[0]


def mix(inputs, index, mask):
    return inputs * mask[:, 0:1] + inputs[index] * mask[:, 1:2]


def pooled(model, backbone, images):
    return model.neck(getattr(model, backbone)(images)[-1:])


def close(a, b):
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def backbone_inputs(calls, name):
    return [args[0] for args, _, _ in calls[name]]


def test_each_part_gets_its_own_branch(monkeypatch):
    model = distinct_model()
    losses, calls, ref, inputs, labels = step(model, LAM_MB, LAM_BB,
                                              monkeypatch)
    # the Mixer reads the momentum encoder's stage map, the partner's at
    # its own branch's pairing
    feat_k = forward_to_stage(ref.backbone_k, inputs, ref.mask_layer)
    feat_q = forward_to_stage(ref.backbone, inputs, ref.mask_layer)
    assert not close(feat_k, feat_q)  # so feeding from q would show
    assert len(calls['mixer']) == 2
    feat_a, feat_b, mask_mb = mixer_call(calls, LAM_MB)
    assert close(feat_a, feat_k) and close(feat_b, feat_k[IDX_MB])
    feat_a, feat_b, mask_bb = mixer_call(calls, LAM_BB)
    assert close(feat_a, feat_k) and close(feat_b, feat_k[IDX_BB])
    assert mask_mb.requires_grad and not mask_bb.requires_grad

    # classifier branch: clean and bb-mixed images through the online
    # encoder only
    x_bb, x_mb = mix(inputs, IDX_BB, mask_bb), mix(inputs, IDX_MB, mask_mb)
    online = backbone_inputs(calls, 'backbone')
    assert len(online) == 2
    assert any(close(x, x_bb) for x in online)
    assert any(close(x, inputs) for x in online)
    # Mixer branch: the mb-mixed images through the momentum encoder
    momentum = backbone_inputs(calls, 'backbone_k')
    assert any(close(x, x_mb.detach()) for x in momentum)
    assert not any(close(x, x_bb) for x in momentum)

    # every head sees the pooled features of its own encoder and batch
    heads = dict(head_mix=('backbone', x_bb), head_one=('backbone', inputs),
                 head_mix_k=('backbone_k', x_mb.detach()))
    for head, (encoder, images) in heads.items():
        (args, _, logits), = calls[head]
        assert close(args[0][-1], pooled(ref, encoder, images)[-1]), head
        torch.testing.assert_close(
            logits, getattr(ref, head)(pooled(ref, encoder, images)),
            atol=1e-5, rtol=1e-4)

    # targets: each mixed batch's own λ and pairing; losses by name
    targets = dict(
        head_mix=mixup_target(labels, IDX_BB, LAM_BB, NUM_CLASSES),
        head_mix_k=mixup_target(labels, IDX_MB, LAM_MB, NUM_CLASSES),
        head_one=labels)
    names = dict(head_mix='loss_mix_q', head_one='loss_one_q',
                 head_mix_k='loss_mix_k')
    for head, target in targets.items():
        (args, _, out), = calls[f'{head}.loss']
        torch.testing.assert_close(args[1], target)
        torch.testing.assert_close(args[0], calls[head][0][2].float())
        assert losses[names[head]] is out, head

    # the mask loss gets the Mixer branch's mask and λ
    (args, _, out), = calls['mask_loss']
    assert args[0] is mask_mb and args[1] == pytest.approx(LAM_MB)
    assert losses['loss_mask'] is out


@pytest.mark.parametrize('lam_bb', [0.05, 0.08, 0.93])
def test_margin_uses_the_classifier_lambda(monkeypatch, lam_bb):
    """λ_bb within the margin: the classifier mixes with a constant mask;
    the Mixer branch keeps its own mask."""
    model = distinct_model()
    _, calls, _, inputs, _ = step(model, 0.5, lam_bb, monkeypatch)
    x_bb = inputs * lam_bb + inputs[IDX_BB] * (1 - lam_bb)
    assert any(close(x, x_bb) for x in backbone_inputs(calls, 'backbone'))
    _, _, mask_mb = mixer_call(calls, 0.5)
    x_mb = mix(inputs, IDX_MB, mask_mb).detach()
    assert any(close(x, x_mb) for x in backbone_inputs(calls, 'backbone_k'))


@pytest.mark.parametrize('lam_mb', [0.05, 0.5])
def test_margin_ignores_the_mixer_lambda(monkeypatch, lam_mb):
    """λ_mb within (or outside) the margin does not change the classifier's
    mask: it stays the Mixer's mask for λ_bb = 0.3."""
    model = distinct_model()
    _, calls, _, inputs, _ = step(model, lam_mb, 0.3, monkeypatch)
    _, _, mask_bb = mixer_call(calls, 0.3)
    assert mask_bb.std() > 1e-6  # not a constant mask
    x_bb = mix(inputs, IDX_BB, mask_bb)
    assert any(close(x, x_bb) for x in backbone_inputs(calls, 'backbone'))


def test_momentum_update_moves_exactly_the_pairs():
    model = distinct_model()
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn_like(param))
    model.momentum = 0.9
    before = {k: v.clone() for k, v in model.state_dict().items()}
    params = dict(model.named_parameters())
    model.momentum_update()
    after = model.state_dict()
    moved = set()
    for name, value in after.items():
        part, rest = name.split('.', 1)
        if part in MOMENTUM_PARTS and name in params:
            online = before[f'{MOMENTUM_PARTS[part]}.{rest}']
            torch.testing.assert_close(
                value, 0.9 * before[name] + 0.1 * online)
            moved.add(part)
        else:  # online modules, Mixer, buffers (BN statistics)
            torch.testing.assert_close(value, before[name], rtol=0, atol=0)
    assert moved == set(MOMENTUM_PARTS)
    # a skipped step and m >= 1 leave everything alone
    for skipped, momentum in ((True, 0.9), (False, 1.0)):
        model.step_skipped, model.momentum = skipped, momentum
        before = {k: v.clone() for k, v in model.state_dict().items()}
        model.momentum_update()
        for name, value in model.state_dict().items():
            torch.testing.assert_close(value, before[name], rtol=0, atol=0)


def test_predict_scores_come_from_their_heads():
    model = distinct_model()
    with torch.no_grad():
        for head in ('head_one', 'head_mix', 'head_one_k', 'head_mix_k'):
            for param in getattr(model, head).parameters():
                param.copy_(torch.randn_like(param))
    model.eval()
    inputs, samples = batch()
    preds = model.predict(inputs, samples)
    heads = dict(one_k=('head_one_k', 'backbone_k'),
                 mix_k=('head_mix_k', 'backbone_k'),
                 one_q=('head_one', 'backbone'),
                 mix_q=('head_mix', 'backbone'))
    with torch.no_grad():
        scores = {
            branch: F.softmax(getattr(model, head)(pooled(model, enc,
                                                          inputs)), dim=1)
            for branch, (head, enc) in heads.items()
        }
    assert len({tuple(s[0].tolist()) for s in scores.values()}) == 4
    for i, pred in enumerate(preds):
        for branch, score in scores.items():
            torch.testing.assert_close(pred.get(f'pred_score_{branch}'),
                                       score[i])
        # the model's answer is the momentum encoder's head_one_k
        torch.testing.assert_close(pred.pred_score, scores['one_k'][i])
        assert int(pred.pred_label) == int(scores['one_k'][i].argmax())
    torch.testing.assert_close(model(inputs, mode='tensor'),
                               model.head_one_k(pooled(model, 'backbone_k',
                                                       inputs)))


def test_pairings_get_batch_size_no_repeat_and_device(monkeypatch):
    """Both pairings are drawn for the batch, with ``mix_no_repeat`` and on
    the inputs' device; each head loss averages over the batch."""
    for no_repeat in (True, False):
        model = distinct_model(mix_no_repeat=no_repeat)
        fix_randomness(monkeypatch, LAM_MB, LAM_BB)
        drawn = []
        pairings = iter([IDX_MB, IDX_BB])

        def pairing(*args, **kwargs):
            drawn.append((args, kwargs))
            return next(pairings)

        monkeypatch.setattr(clf_module, 'random_pairing', pairing)
        inputs, samples = batch()
        rec = Recorder(model)
        model.loss(inputs, samples)
        rec.remove()
        assert drawn == [((6, no_repeat, inputs.device), {})] * 2
        for head in ('head_one', 'head_mix', 'head_mix_k'):
            (_, kwargs, _), = rec.calls[f'{head}.loss']
            assert kwargs == {'avg_factor': 6}, head


def test_loss_values_average_over_the_batch(monkeypatch):
    """The head losses are the per-sample losses averaged over N (not C)."""
    model = distinct_model()
    losses, calls, _, _, labels = step(model, LAM_MB, LAM_BB, monkeypatch)
    logits = calls['head_one'][0][2].float()
    expected = F.cross_entropy(logits, labels)
    torch.testing.assert_close(losses['loss_one_q'], expected)
    logits = calls['head_mix'][0][2].float()
    target = mixup_target(labels, IDX_BB, LAM_BB, NUM_CLASSES)
    expected = -(target * logits.log_softmax(dim=1)).sum(dim=1).mean()
    torch.testing.assert_close(losses['loss_mix_q'], expected)


def test_label_equal_to_num_classes_is_refused():
    model = distinct_model()
    inputs, samples = batch(n=2)
    samples[1].set_gt_label(NUM_CLASSES)  # one past the last class
    with pytest.raises(ValueError) as err:
        model.loss(inputs, samples)
    assert str(err.value) == (
        f'label {NUM_CLASSES} is out of range for num_classes={NUM_CLASSES}'
        "; set the heads' num_classes to the number of classes of the "
        'dataset')
    samples[1].set_gt_label(NUM_CLASSES - 1)  # the last class is fine
    model.loss(inputs, samples)


def test_forward_modes():
    model = distinct_model().eval()
    inputs, samples = batch(n=3)
    with torch.no_grad():
        expected = model.head_one_k(pooled(model, 'backbone_k', inputs))
        torch.testing.assert_close(model(inputs), expected)  # 'tensor'
        preds = model(inputs, samples, mode='predict')
    assert len(preds) == 3
    for pred, sample in zip(preds, samples):
        assert pred is sample  # the given samples are filled in
        assert 'gt_label' in pred and 'pred_score_mix_q' in pred
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_mix_q', 'loss_one_q', 'loss_mix_k',
                           'loss_mask'}
    with pytest.raises(RuntimeError, match=r'^Invalid mode "bad"\.$'):
        model(inputs, samples, mode='bad')


def test_predict_fills_the_given_samples():
    model = distinct_model().eval()
    inputs, samples = batch(n=3)
    with torch.no_grad():
        preds = model.predict(inputs, samples)
    for pred, sample, label in zip(preds, samples, torch.arange(3)):
        assert pred is sample
        assert int(pred.gt_label) == int(label)
    with torch.no_grad():  # without samples, new ones are made
        preds = model.predict(inputs)
    assert len(preds) == 3 and 'gt_label' not in preds[0]


def test_extract_feat_is_the_pooled_last_stage_only():
    model = distinct_model().eval()
    inputs, _ = batch(n=2)
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        expected = model.neck(model.backbone_k(inputs)[-1:])
    assert isinstance(feats, tuple) and len(feats) == 1
    torch.testing.assert_close(feats[0], expected[0])
    assert feats[0].shape == (2, model.head_one.fc.in_features)
