# Copyright (c) samix_mm contributors. All rights reserved.
"""Read a SAMix^P Mixer export back: check it, build its frozen modules.

The reader side of the export that
:func:`samix_mm.converters.mixer_export.export_mixer` writes (the format
is described there): :func:`load_mixer_export` loads a file through the
checkpoint allow-list and checks it (:func:`check_mixer_export`),
:func:`build_frozen_pair` builds the encoder and the Mixer, frozen, for
:class:`~samix_mm.models.batch_augments.SAMixP`.
"""
import copy
import os.path as osp
from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn

from samix_mm.registry import MODELS
from samix_mm.utils.safe_checkpoint import safe_load
from .stage_forward import forward_to_stage

#: Format tag of an export; its value is the format version.
EXPORT_TAG = 'samix_p_export'
EXPORT_VERSION = 1
#: Every key of an export.
EXPORT_KEYS = (EXPORT_TAG, 'encoder_from', 'mask_layer', 'mean', 'std',
               'encoder_cfg', 'mixer_cfg', 'encoder', 'mixer')
#: Size of the zero image that checks the encoder against the Mixer.
_PROBE_SIZE = 32
_HOW = 'python tools/model_converters/export_mixer.py CKPT OUT'

StateDict = Dict[str, torch.Tensor]


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
