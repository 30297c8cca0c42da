# Copyright (c) samix_mm contributors. All rights reserved.
"""Run a backbone only up to the stage that a Mixer reads; build-time
checks of the stages a Mixer and the heads read."""
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence, Tuple

import torch
from torch import nn

#: Side of the zero images of the build-time probe of a backbone that does
#: not declare its input size.
PROBE_SIZE = 64


@contextmanager
def probing(module: nn.Module) -> Iterator[None]:
    """Eval mode and no gradient for a build-time probe forward; the
    module's train/eval mode is restored afterwards (BN statistics are not
    touched).

    Args:
        module (nn.Module): The module to probe.
    """
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        module.train(was_training)


def probe_size(backbone: nn.Module) -> Tuple[int, int]:
    """(H, W) of the images of the build-time probe of ``backbone``.

    A backbone with a patch embedding that declares its input size
    (mmpretrain's VisionTransformer and SwinTransformer:
    ``patch_embed.init_input_size``, 224 px for DeiT-S and Swin-T) is probed
    at that size: Swin-T refuses inputs below 224 px, whose stage maps are
    smaller than its windows. Any other backbone (ResNets, ConvNeXt) is
    probed at :data:`PROBE_SIZE` px.

    Args:
        backbone (nn.Module): The backbone.

    Returns:
        tuple[int, int]: Height and width.
    """
    size = getattr(getattr(backbone, 'patch_embed', None), 'init_input_size',
                   None)
    if size is None:
        return PROBE_SIZE, PROBE_SIZE
    return int(size[0]), int(size[1])


def check_mixer_in_channels(stage: torch.Tensor, mixer: nn.Module,
                            mask_layer: int) -> None:
    """Refuse a stage that is no 2-D map, or a Mixer whose ``in_channels``
    differ from the stage's.

    Args:
        stage (Tensor): The backbone's output at ``mask_layer``.
        mixer (nn.Module): The Mixer (``in_channels``).
        mask_layer (int): 0-based stage read by the Mixer.
    """
    if stage.dim() != 4:
        raise ValueError(
            f'the Mixer reads backbone output 0 (stage {mask_layer}) as an '
            f'(N, C, h, w) map but it has shape {tuple(stage.shape)}; make '
            'the backbone return maps (mmpretrain\'s VisionTransformer: '
            "out_type='featmap'; ConvNeXt: gap_before_final_norm=False)")
    if stage.size(1) != mixer.in_channels:
        raise ValueError(
            f'the Mixer reads backbone stage {mask_layer} with '
            f'{stage.size(1)} channels but mixer.in_channels='
            f'{mixer.in_channels}; set model.mixer.in_channels='
            f'{stage.size(1)}')


def check_classifier_parts(backbone: nn.Module, mixer: nn.Module,
                           mask_layer: int, heads: dict) -> None:
    """Refuse a Mixer or heads that do not fit the backbone (build time).

    Args:
        backbone (nn.Module): The backbone; outputs (stage, last stage).
        mixer (nn.Module): The Mixer reading ``mask_layer``.
        mask_layer (int): 0-based stage read by the Mixer.
        heads (dict[str, nn.Module]): Linear heads by name; the first reads
            the pooled last stage, all must share its weight shape.
    """
    (first, head), *others = heads.items()
    for name, other in others:
        if other.fc.weight.shape != head.fc.weight.shape:
            raise ValueError(
                f'{name} must have the num_classes and in_channels of '
                f'{first}: fc weights {tuple(other.fc.weight.shape)} vs '
                f'{tuple(head.fc.weight.shape)}')
    with probing(backbone):
        feats = backbone(torch.zeros(2, 3, *probe_size(backbone)))
    check_mixer_in_channels(feats[0], mixer, mask_layer)
    if feats[-1].size(1) != head.fc.in_features:
        raise ValueError(
            f'the backbone gives {feats[-1].size(1)} channels but '
            f'{first}.in_channels={head.fc.in_features}; set the heads\' '
            f'in_channels={feats[-1].size(1)}')


def check_stage_out_indices(backbone: dict, mask_layer: int) -> None:
    """Refuse a backbone config that does not give the Mixer's stage first.

    The SAMix models take the Mixer's map from output 0 and the features
    of the heads from output 1 of the backbone.

    Args:
        backbone (dict): The backbone config.
        mask_layer (int): 0-based stage read by the Mixer.
    """
    out_indices = tuple(backbone.get('out_indices', ()))
    if len(out_indices) != 2 or out_indices[0] != mask_layer:
        raise ValueError(
            f'backbone.out_indices must be (mask_layer, last_stage) = '
            f'({mask_layer}, ...), got {out_indices or None}; set '
            f'model.backbone.out_indices='
            f'{_out_indices_hint(out_indices, mask_layer)}')


def _out_indices_hint(out_indices: Sequence[int], mask_layer: int) -> str:
    """The ``out_indices`` to suggest for a Mixer reading ``mask_layer``:
    the config's last index if it lies after ``mask_layer``, else 3 (the
    last stage of a 4-stage backbone) if that does."""
    last: Optional[int] = out_indices[-1] if out_indices else None
    if last is not None and last > mask_layer:
        return f'({mask_layer}, {last})'
    if mask_layer < 3:
        return f'({mask_layer}, 3)'
    return (f'({mask_layer}, LAST) with LAST the index of the last stage or '
            'layer (11 for a 12-layer VisionTransformer)')


def forward_to_stage(backbone: nn.Module, inputs: torch.Tensor,
                     stage: int) -> torch.Tensor:
    """Return the output of ``stage`` without running the later stages.

    The Mixer needs only the stage-``stage`` map of the momentum encoder, so
    running the last stage as well (as the original code does) wastes about
    a quarter of a ResNet forward. For backbones of mmpretrain's ResNet
    family (``res_layers`` + ``out_indices``: ResNet, ResNet_CIFAR, ResNeXt,
    ...) the forward is run with the later stages cut off; for any other
    backbone the full forward is run and output ``0`` is taken.

    Args:
        backbone (nn.Module): The backbone; its ``out_indices`` must
            contain ``stage`` as the first index.
        inputs (Tensor): Images of shape ``(N, 3, H, W)``.
        stage (int): 0-based stage index (2 = ``layer3`` of a ResNet).

    Returns:
        Tensor: The stage's feature map of shape ``(N, C, h, w)``.
    """
    layers = getattr(backbone, 'res_layers', None)
    out_indices = getattr(backbone, 'out_indices', None)
    if layers is None or out_indices is None:
        return backbone(inputs)[0]
    backbone.res_layers = layers[:stage + 1]
    backbone.out_indices = (stage, )
    try:
        return backbone(inputs)[0]
    finally:
        backbone.res_layers = layers
        backbone.out_indices = out_indices
