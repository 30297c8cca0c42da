# Copyright (c) samix_mm contributors. All rights reserved.
"""Export a trained SAMix Mixer with its feature encoder, and load it back.

SAMix^P reuses a Mixer trained by SAMix as a frozen batch augmentation. The
Mixer reads the stage-``mask_layer`` map of the encoder it was trained with,
so an export holds both, as plain data that
:func:`~samix_mm.utils.safe_load` accepts::

    dict(samix_p_export=1,          # format tag and version
         encoder_from='momentum',   # which SAMix encoder: momentum / online
         mask_layer=2,              # the encoder stage the Mixer reads
         mean=[...], std=[...],     # normalisation the encoder was fed
         encoder_cfg=dict(...),     # backbone config, cut after mask_layer
         mixer_cfg=dict(...),       # Mixer config, frozen=True
         encoder={...}, mixer={...})  # their state dicts

ResNet-family encoders (mmpretrain's ``res_layers`` protocol) are cut after
stage ``mask_layer``: the config gets ``num_stages = mask_layer + 1`` and the
later stages' weights are dropped. Other backbones are kept whole.
"""
import copy
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from torch import nn

from samix_mm.registry import MODELS
from samix_mm.utils.safe_checkpoint import safe_load
from .stage_forward import forward_to_stage

#: Format tag of an export; its value is the format version.
EXPORT_TAG = 'samix_p_export'
EXPORT_VERSION = 1
#: State-dict prefix of each SAMix encoder that can be exported.
ENCODER_PREFIXES = {'momentum': 'backbone_k', 'online': 'backbone'}
#: Every key of an export.
EXPORT_KEYS = (EXPORT_TAG, 'encoder_from', 'mask_layer', 'mean', 'std',
               'encoder_cfg', 'mixer_cfg', 'encoder', 'mixer')
#: Size of the zero image that checks the encoder against the Mixer.
_PROBE_SIZE = 32
_HOW = 'python tools/model_converters/export_mixer.py CKPT OUT'

StateDict = Dict[str, torch.Tensor]


def state_under(state_dict: StateDict, prefix: str) -> StateDict:
    """The entries under ``prefix.``, with the prefix removed and cloned.

    Args:
        state_dict (dict[str, Tensor]): A model's state dict.
        prefix (str): A sub-module name, e.g. ``'backbone_k'``.

    Returns:
        dict[str, Tensor]: The sub-module's state dict on the CPU.
    """
    head = prefix + '.'
    return {
        key[len(head):]: value.detach().cpu().clone()
        for key, value in state_dict.items() if key.startswith(head)
    }


def source_normalisation(cfg: Config) -> Tuple[List[float], List[float]]:
    """Mean and std of the images the source model was fed.

    The model's own ``data_preprocessor`` wins over the top-level one, as in
    mmengine's ``Runner``. Without normalisation the encoder saw raw pixel
    values, i.e. mean 0 and std 1.

    Args:
        cfg (Config): The source training config.

    Returns:
        tuple[list[float], list[float]]: Per-channel mean and std.
    """
    prep = cfg.model.get('data_preprocessor') or \
        cfg.get('data_preprocessor') or {}
    mean, std = prep.get('mean'), prep.get('std')
    if mean is None or std is None:
        return [0.] * 3, [1.] * 3
    return [float(v) for v in mean], [float(v) for v in std]


def truncate_encoder(encoder_cfg: dict, state: StateDict,
                     mask_layer: int) -> Tuple[dict, StateDict]:
    """Cut a ResNet-family encoder after stage ``mask_layer``.

    ``init_cfg`` is removed (the weights come from the checkpoint).

    Args:
        encoder_cfg (dict): The backbone config of the SAMix model.
        state (dict[str, Tensor]): The encoder's state dict.
        mask_layer (int): 0-based stage the Mixer reads.

    Returns:
        tuple[dict, dict]: The config and state dict of the cut encoder; both
        unchanged (but for ``init_cfg``) for other backbones.
    """
    cfg = copy.deepcopy(encoder_cfg)
    cfg.pop('init_cfg', None)
    full = MODELS.build(copy.deepcopy(cfg))
    layers = getattr(full, 'res_layers', None)
    if layers is None or not hasattr(full, 'strides'):
        return cfg, dict(state)
    stages = mask_layer + 1
    if stages > len(layers):
        raise ValueError(f'mask_layer={mask_layer} but the encoder has only '
                         f'{len(layers)} stages; fix model.mask_layer')
    cfg.pop('frozen_stages', None)
    cfg.update(num_stages=stages,
               out_indices=(mask_layer, ),
               strides=tuple(full.strides[:stages]),
               dilations=tuple(full.dilations[:stages]))
    dropped = tuple(f'{name}.' for name in layers[stages:])
    return cfg, {k: v for k, v in state.items() if not k.startswith(dropped)}


def _mask_layer(model_cfg: dict) -> int:
    """``model.mask_layer``, else the first of ``backbone.out_indices``."""
    if model_cfg.get('mask_layer') is not None:
        return int(model_cfg['mask_layer'])
    out_indices = model_cfg['backbone'].get('out_indices')
    if not out_indices:
        raise ValueError('the source config sets neither model.mask_layer '
                         'nor model.backbone.out_indices; cannot tell which '
                         'stage the Mixer reads')
    return int(tuple(out_indices)[0])


def export_mixer(checkpoint: dict, encoder: str = 'momentum') -> dict:
    """Make the SAMix^P export of a SAMix checkpoint.

    Args:
        checkpoint (dict): A checkpoint of ``tools/train.py``: ``state_dict``
            with ``backbone.*``, ``backbone_k.*`` and ``mixer.*`` keys and the
            config text in ``meta['cfg']``.
        encoder (str): ``'momentum'`` (``backbone_k``, the encoder the Mixer
            was trained with) or ``'online'`` (``backbone``).
            Defaults to 'momentum'.

    Returns:
        dict: The export (see the module docstring); it is checked by
        building its encoder and Mixer.
    """
    if encoder not in ENCODER_PREFIXES:
        raise ValueError(f'encoder must be one of {list(ENCODER_PREFIXES)}, '
                         f'got {encoder!r}')
    state = checkpoint.get('state_dict') \
        if isinstance(checkpoint, dict) else None
    cfg_text = (checkpoint.get('meta') or {}).get('cfg') \
        if isinstance(state, dict) else None
    if not isinstance(cfg_text, str):
        raise ValueError("the checkpoint needs a state_dict and the config "
                         "text in meta['cfg']; give a checkpoint written by "
                         'tools/train.py')
    cfg = Config.fromstring(cfg_text, '.py')
    model_cfg = cfg.get('model') or {}
    if 'mixer' not in model_cfg or 'backbone' not in model_cfg:
        raise ValueError('the checkpoint\'s model config has no mixer and '
                         f'backbone (type {model_cfg.get("type")}); give a '
                         'SAMix checkpoint')
    prefix = ENCODER_PREFIXES[encoder]
    parts = {name: state_under(state, name) for name in (prefix, 'mixer')}
    empty = [name for name, part in parts.items() if not part]
    if empty:
        raise ValueError(f'the checkpoint has no {empty[0]}.* weights; give '
                         'a SAMix checkpoint')
    mask_layer = _mask_layer(model_cfg)
    encoder_cfg, encoder_state = truncate_encoder(
        model_cfg['backbone'].to_dict(), parts[prefix], mask_layer)
    mixer_cfg = model_cfg['mixer'].to_dict()
    mixer_cfg.pop('init_cfg', None)
    mixer_cfg['frozen'] = True
    mean, std = source_normalisation(cfg)
    export = {
        EXPORT_TAG: EXPORT_VERSION,
        'encoder_from': encoder,
        'mask_layer': mask_layer,
        'mean': mean,
        'std': std,
        'encoder_cfg': encoder_cfg,
        'mixer_cfg': mixer_cfg,
        'encoder': encoder_state,
        'mixer': parts['mixer'],
    }
    build_frozen_pair(export, 'the export')
    return export


def _is_state(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor)
        for k, v in value.items())


def _bad_field(export: dict) -> Optional[str]:
    """Name the first malformed field of an export, or None."""
    for key in ('encoder_cfg', 'mixer_cfg'):
        if not isinstance(export[key], dict) or 'type' not in export[key]:
            return f'{key} is not a config dict with a type'
    for key in ('encoder', 'mixer'):
        if not _is_state(export[key]):
            return f'{key} is not a state dict of tensors'
    layer = export['mask_layer']
    if not isinstance(layer, int) or isinstance(layer, bool) or layer < 0:
        return f'mask_layer {layer!r} is not an int >= 0'
    mean, std = export['mean'], export['std']
    if not (isinstance(mean, list) and isinstance(std, list) and mean
            and len(mean) == len(std) and min(std) > 0):
        return 'mean/std are not two lists of equal length with std > 0'
    return None


def check_mixer_export(export: Any, filename: str) -> dict:
    """Check that ``export`` is a complete SAMix^P export.

    Args:
        export (Any): The loaded file.
        filename (str): Its path, for the error messages.

    Returns:
        dict: ``export`` itself.
    """
    if not isinstance(export, dict) or EXPORT_TAG not in export:
        if isinstance(export, dict) and 'state_dict' in export:
            raise ValueError(
                f'{filename} is a training checkpoint, not a SAMix^P Mixer '
                'export; convert it with python '
                f'tools/model_converters/export_mixer.py {filename} OUT')
        raise ValueError(f'{filename} is not a SAMix^P Mixer export (no '
                         f'{EXPORT_TAG!r} key); export one with {_HOW}')
    if export[EXPORT_TAG] != EXPORT_VERSION:
        raise ValueError(f'{filename} has export format '
                         f'{export[EXPORT_TAG]!r}, this samix_mm reads '
                         f'{EXPORT_VERSION}; re-export it with {_HOW}')
    missing = [k for k in EXPORT_KEYS if k not in export]
    unknown = sorted(set(export) - set(EXPORT_KEYS))
    problem = (f'missing keys {missing}, unknown keys {unknown}'
               if missing or unknown else _bad_field(export))
    if problem:
        raise ValueError(f'{filename} is a damaged SAMix^P export '
                         f'({problem}); re-export it with {_HOW}')
    return export


def load_mixer_export(filename: str) -> dict:
    """Load and check an export through the checkpoint allow-list.

    Args:
        filename (str): Path of the file written by
            ``tools/model_converters/export_mixer.py``.

    Returns:
        dict: The checked export, tensors on the CPU.
    """
    if not osp.isfile(osp.expanduser(filename)):
        raise FileNotFoundError(f'mixer_file {filename} does not exist; '
                                f'export a trained SAMix Mixer with {_HOW}')
    return check_mixer_export(safe_load(filename, map_location='cpu'),
                              filename)


def _load_weights(module: nn.Module, state: StateDict, what: str,
                  filename: str) -> None:
    """Load ``state`` strictly, with a one-line error naming the fix."""
    fix = ('the file is damaged or its config and weights come from '
           f'different runs; re-export it with {_HOW}')
    try:
        result = module.load_state_dict(state, strict=False)
    except RuntimeError as error:
        lines = [s.strip() for s in str(error).splitlines()]
        detail = next((s for s in lines if s.startswith('size mismatch')),
                      lines[-1])
        raise ValueError(f'{filename}: the {what} weights do not fit its '
                         f'config ({detail}); {fix}') from None
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f'{filename}: the {what} weights do not fit its config (missing '
            f'{result.missing_keys[:3]}, unexpected '
            f'{result.unexpected_keys[:3]}); {fix}')


def _check_stage(encoder: nn.Module, mixer: nn.Module, export: dict,
                 filename: str) -> None:
    """The encoder's stage ``mask_layer`` must feed the Mixer's channels."""
    layer = export['mask_layer']
    out_indices = export['encoder_cfg'].get('out_indices')
    fix = 're-export the Mixer and encoder from one SAMix checkpoint with ' \
        + _HOW
    if out_indices is not None and tuple(out_indices)[0] != layer:
        raise ValueError(f'{filename}: stage mismatch, mask_layer={layer} '
                         f'but the encoder outputs stages {out_indices}; ' +
                         fix)
    probe = torch.zeros(1, len(export['mean']), _PROBE_SIZE, _PROBE_SIZE)
    try:
        with torch.no_grad():
            channels = forward_to_stage(encoder, probe, layer).size(1)
    except IndexError:
        raise ValueError(f'{filename}: stage mismatch, the encoder has no '
                         f'stage {layer} (mask_layer); {fix}') from None
    if channels != mixer.in_channels:
        raise ValueError(
            f'{filename}: stage {layer} of the encoder gives {channels} '
            f'channels but the Mixer has in_channels={mixer.in_channels}; ' +
            fix)


def build_frozen_pair(export: dict,
                      filename: str) -> Tuple[nn.Module, nn.Module]:
    """Build the export's encoder and Mixer, frozen and in eval mode.

    Args:
        export (dict): A checked export.
        filename (str): Its path, for the error messages.

    Returns:
        tuple[nn.Module, nn.Module]: The encoder and the Mixer, without
        gradients, in eval mode, on the CPU.
    """
    encoder = MODELS.build(copy.deepcopy(export['encoder_cfg']))
    _load_weights(encoder, export['encoder'], 'encoder', filename)
    mixer = MODELS.build(dict(copy.deepcopy(export['mixer_cfg']), frozen=True))
    _load_weights(mixer, export['mixer'], 'Mixer', filename)
    for module in (encoder, mixer):
        module.requires_grad_(False)
        module.eval()
    _check_stage(encoder, mixer, export, filename)
    return encoder, mixer
