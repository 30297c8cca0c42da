# Copyright (c) samix_mm contributors. All rights reserved.
"""Draw what SAMix mixes: one row ``[A | B | mask of A | mixed]`` a sample.

:func:`mix_batch` computes the masks of a raw data batch (what
:class:`MixerVisualizationHook` and ``tools/analysis_tools/
visualize_mixed_samples.py`` both show) without leaving any trace on the
model or on the random streams; :func:`draw_mix_grid` draws them, enlarged,
with the class names, λ and the mask as a heat map;
:func:`mixed_batch_grid` does both.
"""
import contextlib
import math
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

from samix_mm.models.utils import forward_to_stage, mix_images
from samix_mm.utils.rng_state import get_rng_state, set_rng_state

#: Smallest side of a drawn cell in pixels; images are enlarged by an
#: integer factor (nearest neighbour) to reach it.
CELL_SIZE = 160
#: Pixels between the cells and around the grid.
PAD = 8
#: Height of the title above each cell, in pixels.
TITLE_HEIGHT = 24
#: Width of the column of the mask's colour bar, in pixels.
COLORBAR_WIDTH = 70
#: Resolution of the drawing (pixels per inch of matplotlib).
DPI = 100
#: The colour map of the mask (0: all partner B, 1: all sample A).
MASK_CMAP = 'viridis'
#: Longest class name shown; longer ones are cut.
MAX_NAME = 20
COLUMNS = 4  # A, B, mask of A, mixed


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
        np.ndarray: BGR (as the dataset gives them) uint8 pictures of shape
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


def class_names(dataset: Optional[object] = None,
                checkpoint: Optional[dict] = None) -> Optional[List[str]]:
    """The class names of a dataset, else those saved in a checkpoint.

    Args:
        dataset (object, optional): A dataset with a ``metainfo`` dict.
            Defaults to None.
        checkpoint (dict, optional): A checkpoint saved by mmengine (the
            names are in ``meta.dataset_meta.classes``). Defaults to None.

    Returns:
        list[str] | None: The names, or None when neither has any.
    """
    saved = (checkpoint or {}).get('meta') or {}
    for meta in (getattr(dataset, 'metainfo', None),
                 saved.get('dataset_meta')):
        if meta and meta.get('classes'):
            return [str(name) for name in meta['classes']]
    return None


def gt_labels(data_samples: Optional[Sequence]) -> Optional[List[int]]:
    """The single ground-truth label of every sample.

    Args:
        data_samples (Sequence[DataSample], optional): The samples.

    Returns:
        list[int] | None: The labels, or None when a sample has none (or
        more than one).
    """
    if not data_samples or not all('gt_label' in sample
                                   and sample.gt_label.numel() == 1
                                   for sample in data_samples):
        return None
    return [int(sample.gt_label) for sample in data_samples]


@contextlib.contextmanager
def untouched(model: nn.Module) -> Iterator[None]:
    """Run in eval mode under ``no_grad``, then put everything back.

    The train/eval flag of every sub-module and the python, numpy, torch
    (and CUDA) random states are restored on exit, so that
    a training run goes on exactly as if nothing had happened.

    Args:
        model (nn.Module): The model to use.
    """
    modes = [(module, module.training) for module in model.modules()]
    rng_state = get_rng_state()
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, mode in modes:
            module.training = mode
        set_rng_state(rng_state)


def has_mixer(model: nn.Module) -> bool:
    """Whether ``model`` has what :func:`mixer_display` reads: a Mixer, a
    momentum encoder ``backbone_k`` and the ``mask_layer`` it reads."""
    return all(hasattr(model, name)
               for name in ('mixer', 'backbone_k', 'mask_layer'))


@torch.no_grad()
def mixer_display(model: nn.Module, inputs: torch.Tensor,
                  lam: float = 0.5) -> dict:
    """The Mixer's mix of each image with its neighbour, for display.

    As the SAMix models mix in training (raw Mixer mask, without the
    ``lam_margin`` fallback), but sample i is paired with sample i - 1
    (cyclic) and λ is given; no gradient. Run it in eval mode (e.g.
    inside :func:`untouched`) to leave the BN statistics be.

    Args:
        model (nn.Module): A model for which :func:`has_mixer` holds
            (SAMixClassifier, SAMixMoCo).
        inputs (Tensor): Normalised images of shape ``(N, 3, H, W)``.
        lam (float): The mixing ratio λ. Defaults to 0.5.

    Returns:
        dict: ``a``, ``b`` (partners) and ``mixed`` of shape
        ``(N, 3, H, W)``, ``mask`` ``(N, 2, H, W)`` (channel 0 weighs
        ``a``) and ``lam``.
    """
    index = torch.arange(inputs.size(0), device=inputs.device).roll(1)
    feat = forward_to_stage(model.backbone_k, inputs, model.mask_layer)
    mask = model.mixer(feat, feat[index], lam, tuple(inputs.shape[-2:]))
    return dict(a=inputs, b=inputs[index], mask=mask, lam=float(lam),
                mixed=mix_images(inputs, index, mask))


def mix_batch(model: nn.Module,
              data_batch: dict,
              num_samples: int = 8,
              lam: float = 0.5) -> Dict[str, object]:
    """The Mixer's masks for the first samples of a raw data batch.

    The samples go through ``model.data_preprocessor`` (as in testing) and
    :func:`mixer_display`, inside :func:`untouched`.

    Args:
        model (nn.Module): An unwrapped model with a Mixer
            (:func:`has_mixer`) and the data preprocessor it was trained
            with.
        data_batch (dict): A batch from the dataloader, with ``inputs``
            and optionally ``data_samples``.
        num_samples (int): Samples to mix, at most the batch size.
            Defaults to 8.
        lam (float): The mixing ratio λ. Defaults to 0.5.

    Returns:
        dict: The output of :func:`mixer_display` (``a``, ``b``, ``mask``,
        ``mixed``, ``lam``) with ``label_a`` and ``label_b``, the labels of
        the samples and of their partners (None without labels).
    """
    if not has_mixer(model):
        raise TypeError(f'{type(model).__name__} has no Mixer to draw; '
                        'mixed samples can be drawn for SAMixClassifier and '
                        'SAMixMoCo models')
    head = {key: value[:num_samples] for key, value in data_batch.items()}
    with untouched(model):
        inputs = model.data_preprocessor(head, False)['inputs']
        mix = mixer_display(model, inputs, lam)
    labels = gt_labels(head.get('data_samples'))
    # mixer_display pairs sample i with sample i - 1 (cyclic)
    partners = None if labels is None else labels[-1:] + labels[:-1]
    return dict(mix, label_a=labels, label_b=partners)


def row_titles(lam: float,
               mask_mean: float,
               label_a: Optional[int] = None,
               label_b: Optional[int] = None,
               classes: Optional[Sequence[str]] = None) -> List[str]:
    """The titles of the four cells of a row.

    Args:
        lam (float): The mixing ratio λ.
        mask_mean (float): The mean weight of A in the mask.
        label_a (int, optional): The label of sample A. Defaults to None.
        label_b (int, optional): The label of partner B. Defaults to None.
        classes (Sequence[str], optional): The class names; labels are
            shown as numbers without them. Defaults to None.

    Returns:
        list[str]: The titles of A, B, the mask and the mixed image.
    """

    def named(prefix: str, label: Optional[int]) -> str:
        if label is None:
            return prefix
        name = classes[label] if classes and label < len(classes) \
            else str(label)
        if len(name) > MAX_NAME:
            name = name[:MAX_NAME - 1] + '…'
        return f'{prefix}: {name}'

    return [
        named('A', label_a),
        named('B', label_b), f'mask of A, mean {mask_mean:.2f}',
        f'mixed, λ = {lam:.2f}'
    ]


def cell_box(row: int, col: int,
             cell_hw: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """Where a cell lies in the picture of :func:`draw_mix_grid`.

    Args:
        row (int): The row (sample).
        col (int): The column (0: A, 1: B, 2: mask, 3: mixed).
        cell_hw (tuple[int, int]): Height and width of a cell in pixels.

    Returns:
        tuple[int]: ``(top, left, bottom, right)`` in pixels.
    """
    height, width = cell_hw
    top = PAD + TITLE_HEIGHT + row * (height + TITLE_HEIGHT + PAD)
    left = PAD + col * (width + PAD)
    return top, left, top + height, left + width


def picture_size(rows: int, cell_hw: Tuple[int, int]) -> Tuple[int, int]:
    """Height and width in pixels of a picture of :func:`draw_mix_grid`.

    Args:
        rows (int): Number of rows (samples).
        cell_hw (tuple[int, int]): Height and width of a cell in pixels.

    Returns:
        tuple[int, int]: The height and the width.
    """
    bottom_right = cell_box(rows - 1, COLUMNS - 1, cell_hw)
    return bottom_right[2] + PAD, bottom_right[3] + PAD + COLORBAR_WIDTH


def cell_size_of(image_hw: Tuple[int, int]) -> Tuple[int, int]:
    """The size of the cell an image is drawn in.

    Args:
        image_hw (tuple[int, int]): Height and width of the image.

    Returns:
        tuple[int, int]: The image's size times the smallest integer that
        brings its longer side to at least :data:`CELL_SIZE`.
    """
    scale = max(1, math.ceil(CELL_SIZE / max(image_hw)))
    return image_hw[0] * scale, image_hw[1] * scale


def draw_mix_grid(mix: Dict[str, object],
                  mean: Sequence[float],
                  std: Sequence[float],
                  to_rgb: bool,
                  classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """Draw one row ``[A | B | mask of A | mixed]`` per sample.

    Every image is enlarged to a cell of :func:`cell_size_of` (nearest
    neighbour), the mask is a heat map of the weight of A
    (:data:`MASK_CMAP`, with a colour bar) and each cell has a title: the
    class names of A and B, the mean of the mask and λ
    (:func:`row_titles`).

    Args:
        mix (dict): The output of :func:`mix_batch`: ``a``, ``b``,
            ``mixed`` of shape ``(N, C, H, W)`` (normalised), ``mask`` of
            shape ``(N, 2, H, W)`` (channel 0 weighs ``a``), ``lam`` and
            the optional ``label_a``, ``label_b``.
        mean (Sequence[float]): See :func:`denormalize`.
        std (Sequence[float]): See :func:`denormalize`.
        to_rgb (bool): See :func:`denormalize`.
        classes (Sequence[str], optional): See :func:`row_titles`.

    Returns:
        np.ndarray: An RGB uint8 picture of :func:`picture_size`.
    """
    # matplotlib wants RGB, denormalize gives the dataset's BGR
    images = [
        denormalize(mix[key], mean, std, to_rgb)[..., ::-1]
        for key in ('a', 'b', 'mixed')
    ]
    masks = mix['mask'][:, 0].detach().float().cpu().numpy()
    rows = masks.shape[0]
    label_a = mix.get('label_a') or [None] * rows
    label_b = mix.get('label_b') or [None] * rows
    cell_hw = cell_size_of(masks.shape[1:])
    height, width = picture_size(rows, cell_hw)
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)

    def cell(row: int, col: int, title: str):
        top, left, bottom, right = cell_box(row, col, cell_hw)
        axes = figure.add_axes([
            left / width, 1 - bottom / height, (right - left) / width,
            (bottom - top) / height
        ])
        axes.set_axis_off()
        axes.set_title(title, fontsize=9, pad=3)
        return axes

    for row in range(rows):
        titles = row_titles(mix['lam'], float(masks[row].mean()),
                            label_a[row], label_b[row], classes)
        for col, image in zip((0, 1, 3), images):
            cell(row, col, titles[col]).imshow(
                image[row], interpolation='nearest', aspect='auto')
        heat_map = cell(row, 2, titles[2]).imshow(
            masks[row], cmap=MASK_CMAP, vmin=0., vmax=1.,
            interpolation='nearest', aspect='auto')
    top, _, bottom, right = cell_box(0, COLUMNS - 1, cell_hw)
    colorbar = figure.add_axes([(right + PAD) / width, 1 - bottom / height,
                                12 / width, (bottom - top) / height])
    figure.colorbar(heat_map, cax=colorbar).set_label('weight of A')
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def mixed_batch_grid(model: nn.Module,
                     data_batch: dict,
                     num_samples: int = 8,
                     lam: float = 0.5,
                     classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """The picture of :func:`draw_mix_grid` for :func:`mix_batch`.

    Args:
        model (nn.Module): See :func:`mix_batch`.
        data_batch (dict): See :func:`mix_batch`.
        num_samples (int): Rows to draw, at most the batch size.
            Defaults to 8.
        lam (float): The mixing ratio λ. Defaults to 0.5.
        classes (Sequence[str], optional): See :func:`row_titles`.

    Returns:
        np.ndarray: The RGB uint8 picture.
    """
    mix = mix_batch(model, data_batch, num_samples, lam)
    return draw_mix_grid(mix, *normalization_of(model.data_preprocessor),
                         classes)


def write_picture(picture: np.ndarray, path: str) -> None:
    """Write an RGB picture, creating its folder.

    Args:
        picture (np.ndarray): An RGB uint8 picture ``(H, W, 3)``.
        path (str): A .png or .jpg path.
    """
    if not mmcv.imwrite(mmcv.rgb2bgr(picture), path):
        raise OSError(f'could not write {osp.abspath(path)}')
