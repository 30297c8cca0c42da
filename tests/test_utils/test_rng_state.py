# Copyright (c) samix_mm contributors. All rights reserved.
import io
import random

import numpy as np
import torch

from samix_mm.utils.rng_state import get_rng_state, set_rng_state


def draws():
    return (random.random(), float(np.random.rand()), np.random.normal(),
            float(torch.rand(1)))


def test_round_trip_through_a_weights_only_checkpoint():
    np.random.normal()  # leave a cached gaussian in numpy's state
    buffer = io.BytesIO()
    torch.save(get_rng_state(), buffer)
    first = draws()
    buffer.seek(0)
    set_rng_state(torch.load(buffer, weights_only=True))
    assert draws() == first
