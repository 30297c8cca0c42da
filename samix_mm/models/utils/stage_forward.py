# Copyright (c) samix_mm contributors. All rights reserved.
"""Run a backbone only up to the stage that a Mixer reads; build-time
checks of the stages a Mixer and the heads read."""
from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn


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


def check_mixer_in_channels(stage: torch.Tensor, mixer: nn.Module,
                            mask_layer: int) -> None:
    """Refuse a Mixer whose ``in_channels`` differ from its stage's.

    Args:
        stage (Tensor): The backbone's output at ``mask_layer``.
        mixer (nn.Module): The Mixer (``in_channels``).
        mask_layer (int): 0-based stage read by the Mixer.
    """
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
        feats = backbone(torch.zeros(2, 3, 64, 64))
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
            f'model.backbone.out_indices=({mask_layer}, 3)')


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
