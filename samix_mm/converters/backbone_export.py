# Copyright (c) samix_mm contributors. All rights reserved.
"""Export the encoder of a samix_mm checkpoint as backbone weights.

SAMix models keep two copies of the encoder: ``backbone.`` (online, trained
by SGD) and ``backbone_k.`` (momentum, the EMA of the online one, with its
own BN statistics). The export picks one explicitly (the momentum encoder
by default; see "Differences from the original code" in docs/algorithm.md),
strips its prefix and lays the keys out for the model that loads them:

* ``plain``: ``conv1.weight``, ``layer1.0.conv1.weight``, ... for a whole
  ResNet (mmpretrain linear evaluation, any ``init_cfg=dict(
  type='Pretrained', checkpoint=OUT)`` of a 4-stage ResNet). Key names are
  checked against mmpretrain's ResNet; shapes are not, so CIFAR stems,
  narrow ResNets and ResNeXts export too.
* ``mmdet-fpn``: the same keys, checked key by key and shape by shape
  against mmdet's 4-stage ``ResNet`` (the backbone of FPN detectors).
* ``mmdet-c4``: mmdet's C4 detectors split the ResNet in two: a 3-stage
  ``ResNet`` backbone and ``roi_head.shared_head``, a ``ResLayer`` holding
  ``layer4``. The keys are named as in the detector
  (``backbone.conv1.weight``, ``roi_head.shared_head.layer4.0...``), so
  one file feeds both parts, each with ``init_cfg=dict(type='Pretrained',
  checkpoint=OUT, prefix=...)`` and its prefix from :data:`C4_PREFIXES`.

Every layout is checked against the modules it is meant for, built with
mmdet's (or mmpretrain's) ``MODELS``: no missing, no unexpected keys.
"""
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

from samix_mm.utils.checkpoint_match import strip_module_prefix
from samix_mm.version import __version__

StateDict = Dict[str, Tensor]

#: Encoder name -> key prefix in a samix_mm checkpoint.
ENCODER_PREFIXES: Dict[str, str] = {
    'momentum': 'backbone_k.',
    'online': 'backbone.',
}
#: Layouts :func:`export_backbone` writes.
LAYOUTS: Tuple[str, ...] = ('plain', 'mmdet-c4', 'mmdet-fpn')
#: Target depth when none is given: the detection configs use ResNet-50;
#: ``plain`` follows the checkpoint.
DEFAULT_DEPTHS: Dict[str, Optional[int]] = {
    'plain': None,
    'mmdet-c4': 50,
    'mmdet-fpn': 50,
}
#: Prefixes of the two parts of a C4 detector (``Pretrained`` prefixes).
C4_PREFIXES: Tuple[str, str] = ('backbone.', 'roi_head.shared_head.')
#: Depth -> (bottleneck blocks?, blocks per stage) of torchvision ResNets.
RESNET_ARCHS: Dict[int, Tuple[bool, Tuple[int, ...]]] = {
    18: (False, (2, 2, 2, 2)),
    34: (False, (3, 4, 6, 3)),
    50: (True, (3, 4, 6, 3)),
    101: (True, (3, 4, 23, 3)),
    152: (True, (3, 8, 36, 3)),
}


def get_state_dict(checkpoint: dict) -> StateDict:
    """The state dict of a checkpoint, without DDP's ``module.`` prefix.

    Args:
        checkpoint (dict): A loaded checkpoint, with or without the
            ``state_dict`` level.

    Returns:
        dict: Parameter and buffer names mapped to tensors.
    """
    return strip_module_prefix(checkpoint.get('state_dict', checkpoint))


def select_encoder(state_dict: StateDict,
                   encoder: str = 'momentum',
                   source: str = 'the checkpoint') -> StateDict:
    """The weights of one encoder, with its prefix stripped.

    Args:
        state_dict (dict): The model's state dict (see
            :func:`get_state_dict`).
        encoder (str): ``'momentum'`` (``backbone_k.``, the EMA encoder) or
            ``'online'`` (``backbone.``). Defaults to ``'momentum'``.
        source (str): How to name the checkpoint in errors.
            Defaults to ``'the checkpoint'``.

    Returns:
        dict: ``{'conv1.weight': ..., 'layer1.0.conv1.weight': ...}``.

    Raises:
        ValueError: If ``encoder`` is unknown, or the checkpoint holds no
            key of that encoder.
    """
    if encoder not in ENCODER_PREFIXES:
        raise ValueError(f'unknown encoder {encoder!r}; use one of '
                         f'{", ".join(ENCODER_PREFIXES)}')
    held = [
        name for name, prefix in ENCODER_PREFIXES.items() if any(
            k.startswith(prefix) for k in state_dict)
    ]
    if not held:
        raise ValueError(f'no `backbone.`/`backbone_k.` keys in {source}; '
                         'is it a samix_mm checkpoint?')
    prefix = ENCODER_PREFIXES[encoder]
    if encoder not in held:
        other = held[0]
        raise ValueError(
            f'no `{prefix}` keys ({encoder} encoder) in {source}, only '
            f'`{ENCODER_PREFIXES[other]}` ({other} encoder); pass '
            f'--encoder {other}')
    return {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }


def infer_resnet_depth(state_dict: StateDict) -> Optional[int]:
    """The depth of the ResNet whose (prefix-free) keys these are.

    Stage ``i`` has as many blocks as distinct ``layer{i}.{j}.`` keys; the
    block type shows in ``layer1.0.conv3`` (bottleneck) or its absence.

    Args:
        state_dict (dict): Backbone weights with clean keys.

    Returns:
        int | None: 18, 34, 50, 101 or 152; None if the keys do not form a
        4-stage ResNet (e.g. a ViT).
    """
    if 'conv1.weight' not in state_dict:
        return None
    blocks = tuple(
        len({
            k.split('.')[1]
            for k in state_dict if k.startswith(f'layer{stage}.')
        }) for stage in range(1, 5))
    bottleneck = 'layer1.0.conv3.weight' in state_dict
    for depth, arch in RESNET_ARCHS.items():
        if arch == (bottleneck, blocks):
            return depth
    return None


def to_layout(state_dict: StateDict, layout: str) -> StateDict:
    """Rename clean backbone keys for ``layout`` (see the module doc).

    Args:
        state_dict (dict): Backbone weights with clean keys.
        layout (str): One of :data:`LAYOUTS`.

    Returns:
        dict: The renamed weights (the same tensors).
    """
    if layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; use one of '
                         f'{", ".join(LAYOUTS)}')
    if layout != 'mmdet-c4':
        return dict(state_dict)
    backbone, shared_head = C4_PREFIXES
    return {
        (shared_head if k.startswith('layer4.') else backbone) + k: v
        for k, v in state_dict.items()
    }


def layout_targets(layout: str,
                   depth: int,
                   stem_channels: int = 64,
                   base_channels: int = 64) -> List[Tuple[str, str, dict]]:
    """What loads each part of ``layout``: (key prefix, name, config).

    Args:
        layout (str): One of :data:`LAYOUTS`.
        depth (int): ResNet depth.
        stem_channels (int): Stem width of the ``plain`` target (it decides
            whether ``layer1.0`` has a downsample). Defaults to 64.
        base_channels (int): Width of the first stage of the ``plain``
            target. Defaults to 64.

    Returns:
        list[tuple]: The ``Pretrained`` prefix (``''`` for none), a name for
        messages and the module config with a scoped ``type``.
    """
    if layout == 'plain':
        return [('', f'mmpretrain ResNet-{depth}',
                 dict(type='mmpretrain.ResNet',
                      depth=depth,
                      stem_channels=stem_channels,
                      base_channels=base_channels))]
    if layout == 'mmdet-fpn':
        return [('', f'mmdet ResNet-{depth}',
                 dict(type='mmdet.ResNet', depth=depth))]
    backbone, shared_head = C4_PREFIXES
    return [(backbone, f'mmdet ResNet-{depth} (num_stages=3)',
             dict(type='mmdet.ResNet',
                  depth=depth,
                  num_stages=3,
                  strides=(1, 2, 2),
                  dilations=(1, 1, 1),
                  out_indices=(2, ))),
            (shared_head, f'mmdet ResLayer(depth={depth}, stage=3)',
             dict(type='mmdet.ResLayer', depth=depth, stage=3))]


def _build_shapes(cfg: dict) -> Dict[str, torch.Size]:
    """Names and shapes of the state of the module ``cfg`` builds."""
    registry_scope = cfg['type'].split('.')[0]
    if registry_scope == 'mmdet':
        from mmdet.registry import MODELS
    else:
        from mmpretrain.registry import MODELS
    module: nn.Module = MODELS.build(cfg)
    return {k: v.shape for k, v in module.state_dict().items()}


def check_layout(state_dict: StateDict, layout: str, depth: int) -> str:
    """Check that every part loads with no missing or unexpected key.

    Args:
        state_dict (dict): The output of :func:`to_layout`.
        layout (str): One of :data:`LAYOUTS`.
        depth (int): ResNet depth of the target.

    Returns:
        str: A summary such as ``'258 backbone.* + 60
        roi_head.shared_head.* keys'``.

    Raises:
        ValueError: Naming missing, unexpected or mis-shaped keys.
    """
    unclaimed = set(state_dict)
    parts = []
    widths = dict(stem_channels=64, base_channels=64)
    if layout == 'plain':  # CIFAR and narrow ResNets: names follow widths
        widths = dict(
            stem_channels=state_dict['conv1.weight'].shape[0],
            base_channels=state_dict['layer1.0.conv1.weight'].shape[0])
    for prefix, name, cfg in layout_targets(layout, depth, **widths):
        ours = {
            k[len(prefix):]: v
            for k, v in state_dict.items() if k.startswith(prefix)
        }
        unclaimed -= {prefix + k for k in ours}
        target = _build_shapes(cfg)
        missing = sorted(set(target) - set(ours))
        unexpected = sorted(set(ours) - set(target))
        wrong = sorted(k for k in set(ours) & set(target)
                       if layout != 'plain' and ours[k].shape != target[k])
        checks = (('missing', missing), ('unexpected', unexpected),
                  ('mis-shaped', wrong))
        problems = [
            f'{label} {len(keys)} keys ({", ".join(keys[:3])})'
            for label, keys in checks if keys
        ]
        if problems:
            hint = ('; the mmdet layouts need a torchvision-style ResNet, '
                    'use --layout plain' if wrong else '')
            raise ValueError(f'the weights do not load cleanly into {name}: '
                             f'{"; ".join(problems)}{hint}')
        parts.append(f'{len(ours)} {prefix}*' if prefix else str(len(ours)))
    if unclaimed:
        raise ValueError(f'{len(unclaimed)} keys fit no part of layout '
                         f'{layout}: {", ".join(sorted(unclaimed)[:3])}')
    return ' + '.join(parts) + ' keys'


def export_backbone(checkpoint: dict,
                    encoder: str = 'momentum',
                    layout: str = 'plain',
                    depth: Optional[int] = None,
                    source: str = 'the checkpoint') -> Tuple[dict, str]:
    """Select, rename and check the backbone of a samix_mm checkpoint.

    Args:
        checkpoint (dict): A loaded samix_mm checkpoint (use
            :func:`samix_mm.utils.safe_load`).
        encoder (str): ``'momentum'`` or ``'online'``, see
            :func:`select_encoder`. Defaults to ``'momentum'``.
        layout (str): One of :data:`LAYOUTS`. Defaults to ``'plain'``.
        depth (int, optional): Depth of the target ResNet. Defaults to
            :data:`DEFAULT_DEPTHS` of the layout (50 for the mmdet layouts,
            the checkpoint's own depth for ``plain``).
        source (str): How to name the checkpoint (its path) in the meta
            and in errors. Defaults to ``'the checkpoint'``.

    Returns:
        tuple: ``(out, summary)``: ``out = {'state_dict': ..., 'meta':
        {...}}``, ready for ``torch.save``, and a one-line summary.

    Raises:
        ValueError: If the checkpoint has no such encoder, its ResNet depth
            differs from ``depth``, or the keys do not fit the layout.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; use one of '
                         f'{", ".join(LAYOUTS)}')
    weights = select_encoder(get_state_dict(checkpoint), encoder, source)
    found = infer_resnet_depth(weights)
    depth = depth or DEFAULT_DEPTHS[layout] or found
    prefix = ENCODER_PREFIXES[encoder]
    if found is None and layout != 'plain':
        raise ValueError(f'the `{prefix}` weights of {source} are not a '
                         f'4-stage ResNet; layout {layout} needs one, use '
                         '--layout plain')
    if found is not None and depth != found:
        raise ValueError(
            f'{source} holds a ResNet-{found} backbone but the target is '
            f'ResNet-{depth}; pass --depth {found} and use a '
            f'ResNet-{found} config (model.backbone.depth={found})')
    weights = to_layout(weights, layout)
    checked = (check_layout(weights, layout, depth) if found is not None else
               f'{len(weights)} keys, not checked (not a ResNet)')
    meta = dict(source=source,
                encoder=encoder,
                prefix=prefix,
                layout=layout,
                arch=f'ResNet-{found}' if found else None,
                samix_mm_version=__version__)
    for key in ('epoch', 'iter'):
        value = checkpoint.get('meta', {}).get(key)
        if isinstance(value, int):
            meta[key] = value
    arch = f'ResNet-{found}' if found else 'backbone'
    summary = (f'{arch} from `{prefix}` ({encoder} encoder), layout '
               f'{layout}: {checked}, no missing or unexpected keys')
    return dict(state_dict=weights, meta=meta), summary
