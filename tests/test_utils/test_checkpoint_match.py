# Copyright (c) samix_mm contributors. All rights reserved.
"""strip_module_prefix and check_checkpoint_matches, by value."""
import pytest
import torch
from torch import nn

from samix_mm.converters.backbone_export import get_state_dict
from samix_mm.utils.checkpoint_match import (check_checkpoint_matches,
                                             strip_module_prefix)


def test_only_a_leading_module_prefix_is_removed():
    a, b, c = torch.zeros(1), torch.ones(1), torch.zeros(2)
    out = strip_module_prefix({'module.fc.weight': a, 'fc.bias': b,
                               'head.module.x': c})
    assert list(out) == ['fc.weight', 'fc.bias', 'head.module.x']
    assert out['fc.weight'] is a and out['head.module.x'] is c
    # the exporters read DDP checkpoints the same way
    assert list(get_state_dict({'state_dict': {'module.w': a}})) == ['w']


def test_a_ddp_checkpoint_of_the_same_model_matches():
    model = nn.Linear(2, 3)
    ddp_state = {f'module.{k}': v for k, v in model.state_dict().items()}
    check_checkpoint_matches(model, ddp_state, 'a.pth')  # no error
    with pytest.raises(ValueError) as info:
        check_checkpoint_matches(model, {'module.weight': torch.zeros(3, 4)},
                                 'b.pth')
    assert str(info.value) == (
        'checkpoint b.pth does not match the model of this config: 1 missing '
        '(e.g. bias); 1 wrong shape (e.g. weight); use the config the '
        'checkpoint was trained with')
