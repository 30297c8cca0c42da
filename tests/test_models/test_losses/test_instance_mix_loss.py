# Copyright (c) samix_mm contributors. All rights reserved.
"""InstanceMixLoss (SAMix-I): the λ-weighted InfoNCE over two positives."""
import pytest
import torch
import torch.nn.functional as F

from samix_mm.models.losses import InstanceMixLoss
from samix_mm.models.utils import MixPair

NUM, FEAT, QUEUE = 4, 16, 16


def test_instance_mix_loss_weights_two_positives():
    torch.manual_seed(0)
    keys = F.normalize(torch.randn(NUM, FEAT), dim=1)
    other = F.normalize(torch.randn(NUM, FEAT), dim=1)
    queue = F.normalize(torch.randn(FEAT, QUEUE), dim=0)
    loss = InstanceMixLoss(temperature=0.2)

    def nce(pos):
        logits = torch.cat([pos[:, None], keys @ queue], 1) / 0.2
        return F.cross_entropy(logits, torch.zeros(NUM, dtype=torch.long))

    out = loss(keys, MixPair(0.7, keys, other, queue, keys))['loss_mix_mb']
    expected = 0.7 * nce((keys * keys).sum(1)) + 0.3 * nce(
        (keys * other).sum(1))
    torch.testing.assert_close(out, expected)


def test_instance_mix_loss_defaults_weight_and_errors():
    """Defaults (temperature 0.2, weight 1), loss_weight scales the loss,
    a temperature of 0 is refused with its value."""
    torch.manual_seed(0)
    keys = F.normalize(torch.randn(NUM, FEAT), dim=1)
    other = F.normalize(torch.randn(NUM, FEAT), dim=1)
    queue = F.normalize(torch.randn(FEAT, QUEUE), dim=0)
    pair = MixPair(0.7, keys, other, queue, keys)
    default = InstanceMixLoss()(keys, pair)['loss_mix_mb']
    torch.testing.assert_close(
        default, InstanceMixLoss(temperature=0.2)(keys, pair)['loss_mix_mb'])
    torch.testing.assert_close(
        InstanceMixLoss(loss_weight=2.5)(keys, pair)['loss_mix_mb'],
        2.5 * default)
    for bad in (0, -0.1):
        with pytest.raises(ValueError,
                           match=f'temperature must be > 0, got {bad}'):
            InstanceMixLoss(temperature=bad)
