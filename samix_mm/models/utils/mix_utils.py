# Copyright (c) samix_mm contributors. All rights reserved.
"""Pure helpers to pair, mix and label a batch."""
import math

import numpy as np
import torch
import torch.nn.functional as F


def random_pairing(num: int,
                   no_repeat: bool = False,
                   device: torch.device = None) -> torch.Tensor:
    """Draw the partner index of every sample.

    Args:
        num (int): The batch size N.
        no_repeat (bool): Forbid pairing a sample with itself: redraw up to
            10 times, then fall back to a cyclic shift. Defaults to False.
        device (torch.device, optional): Where to put the index.

    Returns:
        Tensor: A permutation of ``range(N)``, shape ``(N, )``.
    """
    index = torch.randperm(num)
    if no_repeat and num > 1:
        arange = torch.arange(num)
        for _ in range(10):
            if not bool((index == arange).any()):
                break
            index = torch.randperm(num)
        else:
            index = torch.roll(arange, 1)
    return index.to(device) if device is not None else index


def mix_images(images: torch.Tensor, index: torch.Tensor,
               mask: torch.Tensor) -> torch.Tensor:
    """Mix every image with its partner by a pixel-wise mask.

    Args:
        images (Tensor): Images of shape ``(N, C, H, W)``.
        index (Tensor): Partner index of shape ``(N, )``.
        mask (Tensor): Mask of shape ``(N, 2, H, W)``; channel 0 weighs
            ``images``, channel 1 weighs ``images[index]``.

    Returns:
        Tensor: The mixed images, shape ``(N, C, H, W)``, in the dtype of
        ``images``.
    """
    mask = mask.to(images.dtype)
    return images * mask[:, 0:1] + images[index] * mask[:, 1:2]


def mixup_target(labels: torch.Tensor, index: torch.Tensor, lam: float,
                 num_classes: int) -> torch.Tensor:
    """The soft target ``lam * e_y + (1 - lam) * e_y[index]``.

    Args:
        labels (Tensor): Class indices of shape ``(N, )``.
        index (Tensor): Partner index of shape ``(N, )``.
        lam (float): Weight of the sample's own class.
        num_classes (int): Number of classes C.

    Returns:
        Tensor: Soft targets of shape ``(N, C)`` summing to 1 per row.
    """
    one_hot = F.one_hot(labels, num_classes).float()
    return lam * one_hot + (1. - lam) * one_hot[index]


def is_positive_number(value) -> bool:
    """Whether ``value`` is a finite real number > 0 (bools excluded): the
    check of the batch augments' ``alpha`` and size arguments.

    Args:
        value: Any config value.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 < value < math.inf


def draw_lam_and_partners(alpha: float, batch_inputs: torch.Tensor):
    """λ ~ Beta(α, α) (numpy) and a random partner of every image (torch),
    for a batch augment's ``mix``.

    Args:
        alpha (float): α of the Beta distribution.
        batch_inputs (Tensor): Images ``(N, C, H, W)``; other shapes are
            refused in one line.

    Returns:
        tuple: ``lam`` (float) and ``index`` (``(N, )`` long tensor).
    """
    if batch_inputs.dim() != 4:
        raise ValueError('batch_inputs must be (N, C, H, W) images, got '
                         f'shape {tuple(batch_inputs.shape)}')
    lam = float(np.random.beta(alpha, alpha))
    return lam, random_pairing(batch_inputs.size(0),
                               device=batch_inputs.device)
