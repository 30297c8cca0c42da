# Copyright (c) samix_mm contributors. All rights reserved.
"""Export a trained SAMix Mixer with its feature encoder for SAMix^P.

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

The reader (load, check, build the frozen pair) is
:mod:`samix_mm.models.utils.frozen_mixer_loader`, on the model side: SAMix^P
builds its Mixer with it.
"""
import copy
from typing import List, Tuple

from mmengine.config import Config

from samix_mm.models.utils.frozen_mixer_loader import (EXPORT_TAG,
                                                       EXPORT_VERSION,
                                                       StateDict,
                                                       build_frozen_pair)
from samix_mm.registry import MODELS

#: State-dict prefix of each SAMix encoder that can be exported.
ENCODER_PREFIXES = {'momentum': 'backbone_k', 'online': 'backbone'}


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
