# Copyright (c) samix_mm contributors. All rights reserved.
import math

import pytest

from samix_mm.engine.hooks import cosine_momentum


def test_cosine_momentum_schedule():
    base, end, total = 0.999, 0.999999, 1000
    # constant during the first 10 %
    assert cosine_momentum(base, end, 0, total) == base
    assert cosine_momentum(base, end, 99, total) == base
    # from 10 % on: end - (end - base) * (cos(pi t / T) + 1) / 2
    t = 100
    expected = end - (end - base) * (math.cos(math.pi * t / total) + 1) / 2
    assert cosine_momentum(base, end, t, total) == pytest.approx(expected)
    assert expected > base  # the documented small jump at 10 %
    assert cosine_momentum(base, end, total, total) == pytest.approx(end)
    values = [cosine_momentum(base, end, t, total) for t in range(total)]
    assert all(b >= a for a, b in zip(values, values[1:]))
