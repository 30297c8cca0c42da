# Copyright (c) samix_mm contributors. All rights reserved.
"""Run a backbone only up to the stage that a Mixer reads; build-time
checks of the stages a Mixer and the heads read."""
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence, Tuple

import torch
from mmpretrain.models.backbones import (ConvNeXt, SwinTransformer,
                                         VisionTransformer)
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


def _stage_list(backbone: nn.Module) -> Optional[str]:
    """Name of the module list that the forward of ``backbone`` loops over,
    taking output ``i`` if ``i in self.out_indices``: ``res_layers`` for
    mmpretrain's ResNet family, ``layers`` for its VisionTransformer,
    ``stages`` for its SwinTransformer and ConvNeXt (subclasses only where
    they keep that forward); ``None`` for any other backbone."""
    if not hasattr(backbone, 'out_indices'):
        return None
    if hasattr(backbone, 'res_layers'):
        return 'res_layers'
    forward = type(backbone).forward
    if forward is VisionTransformer.forward:
        return 'layers'
    if forward in (SwinTransformer.forward, ConvNeXt.forward):
        return 'stages'
    return None


def forward_to_stage(backbone: nn.Module, inputs: torch.Tensor,
                     stage: int) -> torch.Tensor:
    """Return the output of ``stage`` without running the later stages.

    The Mixer needs only the stage-``stage`` map of the momentum encoder, so
    running the later stages as well (as the original code does) wastes
    about a quarter of a ResNet forward and half of a DeiT-S one (layer 6 of
    12). For mmpretrain's ResNet family (``res_layers``: ResNet,
    ResNet_CIFAR, ResNeXt, ...), VisionTransformer (``layers``),
    SwinTransformer and ConvNeXt (``stages``) the backbone's own forward is
    run with its module list cut after ``stage`` and ``out_indices`` set to
    ``(stage, )``, both restored afterwards, so the result is exactly its
    output ``0``. A VisionTransformer normalises (``ln1``) only after its
    last layer when ``final_norm``: that is switched off for the cut unless
    ``stage`` is the last layer. SwinTransformer still runs the patch
    merging of ``stage`` (part of its stage module; the output is taken
    before it). For any other backbone the full forward is run and output
    ``0`` is taken.

    Args:
        backbone (nn.Module): The backbone; its ``out_indices`` must
            contain ``stage`` as the first index.
        inputs (Tensor): Images of shape ``(N, 3, H, W)``.
        stage (int): 0-based stage index (2 = ``layer3`` of a ResNet, 5 =
            layer 6 of a VisionTransformer).

    Returns:
        Tensor: The backbone's output ``0``: the stage's feature map of
        shape ``(N, C, h, w)`` for the SAMix backbones.
    """
    name = _stage_list(backbone)
    if name is None:
        return backbone(inputs)[0]
    layers = getattr(backbone, name)
    saved = dict(out_indices=backbone.out_indices)
    setattr(backbone, name, layers[:stage + 1])
    backbone.out_indices = (stage, )
    if name == 'layers' and stage < len(layers) - 1:
        saved['final_norm'] = backbone.final_norm
        backbone.final_norm = False
    try:
        return backbone(inputs)[0]
    finally:
        setattr(backbone, name, layers)
        for attr, value in saved.items():
            setattr(backbone, attr, value)
