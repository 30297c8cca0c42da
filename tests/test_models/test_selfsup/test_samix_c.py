# Copyright (c) samix_mm contributors. All rights reserved.
"""SAMix-C: the cluster loss in SAMixMoCo.

What is checked against the reference SAMix-C (docs/algorithm.md,
"SAMix-C"): the cluster head reads the pooled last stage of the momentum
encoder; ``loss_clst`` trains the head only, ``loss_clst_mix`` the head and
the Mixer, ``loss_mix_mb`` the Mixer only. That the weights are
DeepCluster's inverse frequency and that k-means reads the online encoder
is checked with the pseudo-label hook, in
tests/test_engine/test_hooks/test_cluster_pseudo_label_hook.py. The loss
alone: tests/test_models/test_losses/test_cluster_mix_loss.py; the
clustering helpers: tests/test_models/test_utils/test_cluster_ops.py.
"""
import copy

import numpy as np
import torch
from mmpretrain.structures import DataSample

from samix_mm.models.utils import inverse_frequency_weights
from samix_mm.registry import MODELS
from samix_mm.utils import register_all_modules
from narrow_samix_moco import (LAST, NUM, SIZE, gap,  # noqa: I100
                               model_cfg, perturb_)

register_all_modules()
CLUSTER = dict(type='ClusterMixLoss', in_channels=LAST, num_clusters=3)


# ------------------------------------------------------- in SAMixMoCo
def test_samix_c_step_features_and_gradients(monkeypatch):
    """The head reads GAP of the momentum encoder's last stage: of the
    Mixer-branch mixtures (with grad to the Mixer) and of clean view 1."""
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(model_cfg(mixer_loss=CLUSTER))
    model.train()
    perturb_(model.backbone_k, seed=1)  # momentum != online
    model.mixer_loss.set_pseudo_labels(
        torch.arange(NUM) % 3, inverse_frequency_weights(
            torch.arange(NUM) % 3, 3))
    ref = copy.deepcopy(model)
    seen = dict(momentum=[])
    model.backbone_k.register_forward_pre_hook(
        lambda m, args: seen['momentum'].append(args[0].detach().clone()))
    model.mixer_loss.register_forward_hook(
        lambda m, args, out: seen.update(args=args))
    g = torch.Generator().manual_seed(2)
    views = [torch.randn(NUM, 3, SIZE, SIZE, generator=g) for _ in range(2)]
    samples = [DataSample(metainfo=dict(sample_idx=i)) for i in range(NUM)]
    losses = model.loss(views, samples)
    feat_mix, pair = seen['args']
    x_mb = seen['momentum'][2]  # after the momentum passes of both views
    with torch.no_grad():
        torch.testing.assert_close(
            feat_mix, gap(ref.backbone_k(x_mb)[-1]), rtol=1e-4, atol=1e-5)
        clean = gap(ref.backbone_k(views[0])[-1])  # view 1, its own batch
        torch.testing.assert_close(pair.clean_pooled, clean, rtol=1e-4,
                                   atol=1e-5)
        online = gap(ref.backbone(views[0])[-1])
    assert not torch.allclose(pair.clean_pooled, online, atol=1e-3)
    assert feat_mix.requires_grad and not pair.clean_pooled.requires_grad
    # gradient routing: Mixer grads of the frozen-head term are loss_weight
    # (1.0) times those of the trained-head term
    mixer_params = [p for p in model.mixer.parameters() if p.requires_grad]
    g_mix = torch.autograd.grad(losses['loss_clst_mix'], mixer_params,
                                retain_graph=True)
    g_mb = torch.autograd.grad(losses['loss_mix_mb'], mixer_params,
                               retain_graph=True)
    for a, b in zip(g_mix, g_mb):
        torch.testing.assert_close(a, b)
    assert any(a.abs().sum() > 0 for a in g_mix)
