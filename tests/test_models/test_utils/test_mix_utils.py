# Copyright (c) samix_mm contributors. All rights reserved.
"""random_pairing, mix_images and mixup_target, by value."""
import pytest
import torch

from samix_mm.models.utils import mix_images, mixup_target, random_pairing
from samix_mm.models.utils import mix_utils


@pytest.mark.parametrize('num', [1, 2, 5, 16])
@pytest.mark.parametrize('no_repeat', [False, True])
def test_random_pairing_is_a_permutation(num, no_repeat):
    torch.manual_seed(num)
    for _ in range(20):
        index = random_pairing(num, no_repeat)
        assert index.shape == (num, ) and index.dtype == torch.long
        assert sorted(index.tolist()) == list(range(num))


def test_random_pairing_default_is_one_randperm():
    torch.manual_seed(7)
    expected = torch.randperm(9)
    torch.manual_seed(7)
    assert torch.equal(random_pairing(9), expected)
    torch.manual_seed(7)  # no_repeat=False is the default
    assert torch.equal(random_pairing(9, False), expected)


def test_random_pairing_no_repeat_has_no_fixed_point():
    torch.manual_seed(0)
    for num in (2, 3, 4, 8):
        for _ in range(30):
            index = random_pairing(num, no_repeat=True)
            assert not bool((index == torch.arange(num)).any()), index
    # two samples: the only derangement
    assert random_pairing(2, True).tolist() == [1, 0]


def counting_randperm(monkeypatch, outputs):
    """torch.randperm as seen by mix_utils returns ``outputs`` in turn (the
    last one repeated); returns the list of calls."""
    calls = []

    def randperm(num):
        calls.append(num)
        return torch.tensor(outputs[min(len(calls), len(outputs)) - 1])

    monkeypatch.setattr(mix_utils.torch, 'randperm', randperm)
    return calls


def test_random_pairing_redraws_ten_times_then_shifts(monkeypatch):
    calls = counting_randperm(monkeypatch, [[0, 1, 2, 3]])
    index = random_pairing(4, no_repeat=True)
    assert index.tolist() == [3, 0, 1, 2]  # cyclic shift by one
    assert calls == [4] * 11  # the first draw and ten redraws


def test_random_pairing_keeps_first_good_draw(monkeypatch):
    calls = counting_randperm(monkeypatch,
                              [[0, 2, 1], [2, 1, 0], [1, 2, 0], [2, 0, 1]])
    assert random_pairing(3, no_repeat=True).tolist() == [1, 2, 0]
    assert len(calls) == 3
    calls = counting_randperm(monkeypatch, [[1, 2, 0], [0, 1, 2]])
    assert random_pairing(3, no_repeat=True).tolist() == [1, 2, 0]
    assert len(calls) == 1


def test_random_pairing_one_sample_and_repeats_allowed(monkeypatch):
    calls = counting_randperm(monkeypatch, [[0]])
    assert random_pairing(1, no_repeat=True).tolist() == [0]
    assert len(calls) == 1  # nothing to redraw for a single sample
    calls = counting_randperm(monkeypatch, [[0, 1, 2]])
    assert random_pairing(3, no_repeat=False).tolist() == [0, 1, 2]
    assert len(calls) == 1


def test_random_pairing_device():
    assert random_pairing(3, device='meta').device.type == 'meta'
    assert random_pairing(3, True, torch.device('meta')).device.type == \
        'meta'
    assert random_pairing(3).device.type == 'cpu'


def test_mix_images_by_value():
    g = torch.Generator().manual_seed(0)
    images = torch.randn(3, 2, 4, 5, generator=g)
    mask = torch.rand(3, 2, 4, 5, generator=g)  # need not sum to 1
    index = torch.tensor([2, 0, 1])
    out = mix_images(images, index, mask)
    for i, j in enumerate(index.tolist()):
        torch.testing.assert_close(
            out[i], images[i] * mask[i, 0] + images[j] * mask[i, 1])
    # channel 0 weighs the sample itself, channel 1 the partner
    ones = torch.stack([torch.ones(3, 4, 5), torch.zeros(3, 4, 5)], dim=1)
    assert torch.equal(mix_images(images, index, ones), images)
    assert torch.equal(mix_images(images, index, ones.flip(1)),
                       images[index])


def test_mix_images_keeps_image_dtype():
    images = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    mask = torch.rand(2, 2, 4, 4)
    index = torch.tensor([1, 0])
    out = mix_images(images, index, mask)
    assert out.dtype == torch.float64
    m = mask.double()
    torch.testing.assert_close(
        out, images * m[:, :1] + images[index] * m[:, 1:])
    assert mix_images(images.bfloat16(), index, mask).dtype == torch.bfloat16


def test_mixup_target_by_value():
    labels = torch.tensor([0, 2, 1])
    index = torch.tensor([1, 2, 0])
    target = mixup_target(labels, index, 0.3, 4)
    expected = torch.tensor([[0.3, 0., 0.7, 0.],
                             [0., 0.7, 0.3, 0.],
                             [0.7, 0.3, 0., 0.]])
    assert target.dtype == torch.float32 and target.shape == (3, 4)
    torch.testing.assert_close(target, expected)
    torch.testing.assert_close(target.sum(dim=1), torch.ones(3))
