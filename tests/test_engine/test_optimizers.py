# Copyright (c) samix_mm contributors. All rights reserved.
import pytest
from torch import nn

from samix_mm.engine.optimizers import NamedGroupOptimWrapperConstructor


class Toy(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(4, 4)
        self.mixer = nn.Linear(4, 1)
        self.frozen = nn.Linear(4, 4).requires_grad_(False)


def build(paramwise_cfg=dict(mixer=dict(lr=0.1, momentum=0.))):
    constructor = NamedGroupOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9)),
        paramwise_cfg=paramwise_cfg)
    return constructor(Toy())


def test_named_groups_with_absolute_settings():
    groups = build().optimizer.param_groups
    # mmengine's OptimWrapper adds an unnamed group that records the base lr
    by_name = {g['name']: g for g in groups if 'name' in g}
    assert set(by_name) == {'default', 'mixer'}
    assert by_name['mixer']['lr'] == 0.1
    assert by_name['mixer']['momentum'] == 0.
    assert by_name['default']['lr'] == 0.2
    assert by_name['default']['momentum'] == 0.9
    # frozen parameters are not in the optimizer at all
    assert sum(len(g['params']) for g in by_name.values()) == 4


def test_unknown_group_is_refused():
    with pytest.raises(ValueError, match='no such sub-module'):
        build(dict(mixr=dict(lr=0.1)))


def test_same_updates_as_mmengine_custom_keys_but_two_groups():
    """mmengine 0.10.7's ``custom_keys`` can express the Mixer group (its
    extra keys, ``lr`` included, are copied into the group as absolute
    values), and one SGD step moves every parameter identically; but it
    makes one group per parameter and names only the custom ones, so the
    named two-group optimizer stays (fewer groups, one foreach call each;
    GroupCosineAnnealingLR finds the 'default' group by name)."""
    import torch
    from mmengine.optim import DefaultOptimWrapperConstructor
    ours = NamedGroupOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9,
                            weight_decay=1e-4)),
        paramwise_cfg=dict(mixer=dict(lr=0.1, momentum=0.)))
    theirs = DefaultOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9,
                            weight_decay=1e-4)),
        paramwise_cfg=dict(custom_keys={'mixer.': dict(
            lr=0.1, momentum=0., name='mixer')}))
    torch.manual_seed(0)
    model = Toy()
    twin = Toy()
    twin.load_state_dict(model.state_dict())
    results = []
    for constructor, net in ((ours, model), (theirs, twin)):
        wrapper = constructor(net)
        for _ in range(2):  # the second step uses the momentum buffers
            wrapper.zero_grad()
            net.mixer(net.backbone(torch.ones(2, 4))).sum().backward()
            wrapper.step()
        results.append(wrapper.optimizer.param_groups)
    for (name, a), b in zip(model.state_dict().items(),
                            twin.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)
    ours_groups, their_groups = results
    assert len([g for g in ours_groups if g['params']]) == 2
    assert len(their_groups) == 4  # one per trainable parameter
    assert {g.get('name') for g in their_groups} == {'mixer', None}
