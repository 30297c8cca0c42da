# Copyright (c) samix_mm contributors. All rights reserved.
"""Draw what SAMix mixes: one row ``[A | B | mask of A | mixed]`` a sample.

The pure helpers turn normalised tensors back into pictures and tile them;
:func:`mixed_batch_grid` runs a model's ``mix_for_display`` on a raw data
batch without leaving any trace on the model or on the random streams.
"""
import contextlib
import random
from typing import Dict, Iterator, Sequence, Tuple

import numpy as np
import torch
from torch import nn


def denormalize(images: torch.Tensor, mean: Sequence[float],
                std: Sequence[float], to_rgb: bool) -> np.ndarray:
    """Undo a data preprocessor's normalisation.

    Args:
        images (Tensor): Images normalised as ``(x - mean) / std``, of
            shape ``(N, C, H, W)`` with C = 1 or 3.
        mean (Sequence[float]): The preprocessor's per-channel mean, in the
            channel order of ``images``.
        std (Sequence[float]): The preprocessor's per-channel std.
        to_rgb (bool): Whether the preprocessor turned BGR input into RGB;
            the channels are then flipped back.

    Returns:
        np.ndarray: BGR (as cv2 writes them) uint8 pictures of shape
        ``(N, H, W, 3)``.
    """
    mean = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    pixels = images.detach().float().cpu() * std + mean
    if to_rgb:
        pixels = pixels.flip(1)
    pixels = pixels.expand(-1, 3, -1, -1)  # grey images become 3 channels
    pixels = pixels.round().clamp(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).numpy()


def mask_to_grey(mask: torch.Tensor) -> np.ndarray:
    """Draw masks in [0, 1] as grey pictures (black 0, white 1).

    Args:
        mask (Tensor): Masks of shape ``(N, H, W)``.

    Returns:
        np.ndarray: uint8 pictures ``round(255 * mask)`` of shape
        ``(N, H, W, 3)``.
    """
    grey = (mask.detach().float().cpu().clamp(0, 1) * 255).round()
    return grey.to(torch.uint8).unsqueeze(-1).expand(-1, -1, -1, 3).numpy()


def tile(cells: np.ndarray, pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile equally sized pictures into one, with ``pad`` pixels around each.

    Args:
        cells (np.ndarray): uint8 pictures of shape ``(R, C, H, W, 3)``
            (R rows of C columns).
        pad (int): Width of the border between and around the pictures.
            Defaults to 2.
        pad_value (int): Grey level of the border. Defaults to 255.

    Returns:
        np.ndarray: One uint8 picture of shape
        ``(R * H + (R + 1) * pad, C * W + (C + 1) * pad, 3)``.
    """
    rows, cols, height, width, _ = cells.shape
    out = np.full(
        (rows * height + (rows + 1) * pad, cols * width + (cols + 1) * pad, 3),
        pad_value, np.uint8)
    for r in range(rows):
        for c in range(cols):
            top = pad + r * (height + pad)
            left = pad + c * (width + pad)
            out[top:top + height, left:left + width] = cells[r, c]
    return out


def draw_mix_grid(mix: Dict[str, torch.Tensor],
                  mean: Sequence[float],
                  std: Sequence[float],
                  to_rgb: bool,
                  pad: int = 2) -> np.ndarray:
    """Tile one row ``[A | B | mask of A | mixed]`` per sample.

    Args:
        mix (dict): The output of ``SAMixClassifier.mix_for_display``:
            ``a``, ``b``, ``mixed`` of shape ``(N, C, H, W)`` (normalised)
            and ``mask`` of shape ``(N, 2, H, W)``, channel 0 weighing ``a``.
        mean (Sequence[float]): See :func:`denormalize`.
        std (Sequence[float]): See :func:`denormalize`.
        to_rgb (bool): See :func:`denormalize`.
        pad (int): See :func:`tile`. Defaults to 2.

    Returns:
        np.ndarray: A BGR uint8 picture of shape
        ``(N * H + (N + 1) * pad, 4 * W + 5 * pad, 3)``.
    """
    columns = [
        denormalize(mix['a'], mean, std, to_rgb),
        denormalize(mix['b'], mean, std, to_rgb),
        mask_to_grey(mix['mask'][:, 0]),
        denormalize(mix['mixed'], mean, std, to_rgb),
    ]
    return tile(np.stack(columns, axis=1), pad=pad)


def normalization_of(
        preprocessor: nn.Module
) -> Tuple[Sequence[float], Sequence[float], bool]:
    """Read ``(mean, std, to_rgb)`` of a ``ClsDataPreprocessor``.

    Args:
        preprocessor (nn.Module): The model's data preprocessor.

    Returns:
        tuple: The mean, the std (0 and 1 when it does not normalise) and
        whether it turns BGR input into RGB.
    """
    to_rgb = bool(getattr(preprocessor, 'to_rgb', False))
    if not getattr(preprocessor, '_enable_normalize', False):
        return [0.] * 3, [1.] * 3, to_rgb
    return (preprocessor.mean.flatten().tolist(),
            preprocessor.std.flatten().tolist(), to_rgb)


@contextlib.contextmanager
def untouched(model: nn.Module) -> Iterator[None]:
    """Run in eval mode under ``no_grad``, then put everything back.

    The train/eval flag of every sub-module and the python, numpy, torch
    (and current CUDA device's) random states are restored on exit, so that
    a training run goes on exactly as if nothing had happened.

    Args:
        model (nn.Module): The model to use.
    """
    modes = [(module, module.training) for module in model.modules()]
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    cuda_state = torch.cuda.get_rng_state() if \
        torch.cuda.is_initialized() else None
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, mode in modes:
            module.training = mode
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
        if cuda_state is not None:
            torch.cuda.set_rng_state(cuda_state)


def mixed_batch_grid(model: nn.Module,
                     data_batch: dict,
                     num_samples: int = 8,
                     lam: float = 0.5) -> np.ndarray:
    """The mix grid of the first samples of a raw data batch.

    The samples go through ``model.data_preprocessor`` (as in testing) and
    ``model.mix_for_display``, inside :func:`untouched`.

    Args:
        model (nn.Module): An unwrapped model with ``mix_for_display``
            (e.g. :class:`SAMixClassifier`).
        data_batch (dict): A batch from the dataloader, with ``inputs``
            and ``data_samples``.
        num_samples (int): Rows to draw, at most the batch size.
            Defaults to 8.
        lam (float): The mixing ratio λ. Defaults to 0.5.

    Returns:
        np.ndarray: The BGR uint8 picture of :func:`draw_mix_grid`.
    """
    if not hasattr(model, 'mix_for_display'):
        raise TypeError(f'{type(model).__name__} has no mix_for_display(); '
                        'mixed samples can be drawn for SAMixClassifier')
    head = {key: value[:num_samples] for key, value in data_batch.items()}
    with untouched(model):
        inputs = model.data_preprocessor(head, False)['inputs']
        mix = model.mix_for_display(inputs, lam)
    return draw_mix_grid(mix, *normalization_of(model.data_preprocessor))
