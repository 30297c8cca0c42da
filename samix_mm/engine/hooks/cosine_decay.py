# Copyright (c) samix_mm contributors. All rights reserved.
"""The cosine factor shared by the momentum and loss-weight schedules."""
import math


def cosine_decay(cur_iter: int, max_iters: int) -> float:
    """``(1 + cos(pi * t / T)) / 2``: 1 at iteration 0, 0 at iteration T.

    Args:
        cur_iter (int): Current iteration t (0-based).
        max_iters (int): Total iterations T (0 is taken as 1).

    Returns:
        float: The factor in [0, 1].
    """
    return (1 + math.cos(math.pi * cur_iter / max(max_iters, 1))) / 2
