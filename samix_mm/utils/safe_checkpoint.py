# Copyright (c) samix_mm contributors. All rights reserved.
"""Load checkpoints through an explicit allow-list, never arbitrary pickles.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``, which
refuses two things a vanilla mmengine checkpoint holds: numpy objects (in
``meta``, ``runtime_info`` and ``dataset_meta``) and the ``HistoryBuffer``
objects of the message hub, which pickle their statistics methods through
``builtins.getattr``. Allowing ``getattr`` would let a crafted file call any
attribute of an allowed object, so samix_mm takes the other way round:

* :class:`~samix_mm.engine.hooks.SafeCheckpointHook` *saves* the message hub
  as plain python data (:func:`to_plain_message_hub`) and turns it back into
  ``HistoryBuffer`` objects after loading (:func:`from_plain_message_hub`);
* :func:`safe_load` loads with ``weights_only=True`` plus
  :data:`NUMPY_SAFE_GLOBALS`, the numpy classes and functions that rebuild
  arrays, dtypes and scalars, and nothing else;
* :func:`register_safe_loader` makes :func:`safe_load` mmengine's loader for
  local paths (``Runner.resume``, ``load_from``, ``load_checkpoint``,
  ``init_cfg=dict(type='Pretrained')``).
"""
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

# numpy >= 2 moved ``numpy.core`` to ``numpy._core``; files written with
# numpy 1.x name the old module, which still resolves to the same objects.
try:
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # numpy < 2
    from numpy.core.multiarray import _reconstruct, scalar

# The dtypes an array or scalar of a checkpoint may have: booleans, numbers
# and unicode strings. Object, void and datetime dtypes are not allowed.
_SAFE_DTYPES = ('bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32',
                'int64', 'uint64', 'float16', 'float32', 'float64', 'str')

SafeGlobal = Union[Callable, Tuple[Callable, str]]
MapLocation = Optional[Union[str, torch.device, Callable]]

#: What :func:`safe_load` allows besides torch's ``weights_only`` defaults.
#: Measured on a checkpoint saved by mmengine's ``Runner`` with numpy values
#: in ``meta``, ``runtime_info`` and ``dataset_meta``: ``_reconstruct`` and
#: ``ndarray`` rebuild arrays, ``dtype`` and the dtype classes rebuild dtypes
#: (torch checks the class of each object it fills), ``scalar`` rebuilds
#: numpy scalars.
NUMPY_SAFE_GLOBALS: List[SafeGlobal] = [
    np.ndarray,
    np.dtype,
    _reconstruct,
    (_reconstruct, 'numpy.core.multiarray._reconstruct'),
    scalar,
    (scalar, 'numpy.core.multiarray.scalar'),
] + [type(np.dtype(name)) for name in _SAFE_DTYPES]

_PLAIN_TAG = '__plain__'
# How torch's weights_only unpickler names what it refused.
_REFUSED = re.compile(r"GLOBAL ([\w.]+)|but got <class '([\w.]+)'>")


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint needs a pickled object outside the allow-list."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is truncated or not written by ``torch.save``."""


def _refused_globals(filename: str, error: Exception) -> List[str]:
    """Name the globals of ``filename`` that the allow-list refuses."""
    try:
        with torch.serialization.safe_globals(NUMPY_SAFE_GLOBALS):
            names = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
    except Exception:  # legacy (non-zip) files cannot be scanned
        names = []
    return names or [''.join(found) for found in _REFUSED.findall(str(error))]


def _unsafe_message(filename: str, refused: List[str]) -> str:
    """One line naming the file, what was refused and how to fix it."""
    what = (f'global {refused[0]}' if refused else
            'a pickle instruction outside the weights_only allow-list')
    if len(refused) > 1:
        what += f' (and {", ".join(refused[1:])})'
    hint = ''
    if 'builtins.getattr' in refused or any('HistoryBuffer' in name
                                            for name in refused):
        hint = ('it looks like a vanilla mmengine checkpoint, whose '
                'message_hub pickles HistoryBuffer methods; ')
    return (f'refused to load checkpoint {filename}: it needs {what}; {hint}'
            'fix: re-save it from a samix_mm run (SafeCheckpointHook writes '
            'plain data), or export its state_dict with a tool you trust; '
            'samix_mm never unpickles arbitrary objects')


def safe_load(filename: str, map_location: MapLocation = None) -> dict:
    """Load a local checkpoint, allowing tensors, plain data and numpy only.

    Args:
        filename (str): Path of the checkpoint; ``~`` is expanded.
        map_location (str | torch.device | Callable, optional): Same as
            :func:`torch.load`. Defaults to None.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: If ``filename`` is not a file.
        UnsafeCheckpointError: If the file pickles anything outside torch's
            ``weights_only`` defaults and :data:`NUMPY_SAFE_GLOBALS`.
        CorruptCheckpointError: If the file is truncated or not a torch
            checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    corrupt = CorruptCheckpointError(
        f'checkpoint {filename} is truncated or not a torch checkpoint')
    try:
        with torch.serialization.safe_globals(NUMPY_SAFE_GLOBALS):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        refused = _refused_globals(filename, error)
        # A pickle inside an intact zip that torch refuses is unsafe; a
        # file that is no zip and names no global is just not a checkpoint.
        if not refused and not zipfile.is_zipfile(filename):
            raise corrupt from None
        raise UnsafeCheckpointError(_unsafe_message(filename,
                                                    refused)) from None
    except (EOFError, KeyError, ValueError, UnicodeDecodeError):
        raise corrupt from None
    except PermissionError:
        raise
    except (RuntimeError, OSError) as error:
        # torch's zip reader fails with one of these on a cut-off file.
        if isinstance(error, OSError) or 'PytorchStreamReader' in str(error):
            raise corrupt from None
        raise


def load_from_safe_local(filename: str,
                         map_location: MapLocation = None) -> dict:
    """mmengine's loader for local paths; see :func:`safe_load`.

    ``CheckpointLoader`` logs the loader's name after ``load_from_``, hence
    this thin wrapper ("Loads checkpoint by safe_local backend").

    Args:
        filename (str): Path of the checkpoint.
        map_location (str | torch.device | Callable, optional): Same as
            :func:`torch.load`. Defaults to None.

    Returns:
        dict: The loaded checkpoint.
    """
    return safe_load(filename, map_location=map_location)


def register_safe_loader() -> None:
    """Make :func:`safe_load` mmengine's loader of local checkpoint paths.

    Every load of a path without a URL scheme through mmengine's
    ``CheckpointLoader`` then goes through the allow-list. Calling it again
    changes nothing.
    """
    if CheckpointLoader._schemes.get('') is not load_from_safe_local:
        CheckpointLoader.register_scheme(
            prefixes='', loader=load_from_safe_local, force=True)


def to_plain(value: Any) -> Any:
    """Turn numpy scalars inside ``value`` into python numbers.

    Dicts, lists and tuples are walked; numpy arrays are kept (they load
    through :data:`NUMPY_SAFE_GLOBALS`); anything else is returned as is.

    Args:
        value (Any): The value to convert.

    Returns:
        Any: The value with python numbers instead of numpy scalars.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(item) for item in value)
    return value


def to_plain_message_hub(state: dict) -> dict:
    """Turn ``MessageHub.state_dict()`` into plain python data.

    Each ``HistoryBuffer`` becomes a dict of its history lists and
    ``max_length``; numpy scalars become python numbers. The result carries
    ``'__plain__': 1`` so that :func:`from_plain_message_hub` knows it.

    Args:
        state (dict): The dict returned by ``MessageHub.state_dict()``, with
            keys ``log_scalars``, ``runtime_info`` and ``resumed_keys``.

    Returns:
        dict: The plain state; an already plain one is returned unchanged.
    """
    if state.get(_PLAIN_TAG):
        return state
    log_scalars = {}
    for key, buffer in state['log_scalars'].items():
        log_history, count_history = buffer.data
        log_scalars[key] = dict(
            log_history=np.asarray(log_history).tolist(),
            count_history=np.asarray(count_history).tolist(),
            max_length=int(buffer.max_length))
    return {
        _PLAIN_TAG: 1,
        'log_scalars': log_scalars,
        'runtime_info': to_plain(dict(state['runtime_info'])),
        'resumed_keys': {
            key: bool(flag)
            for key, flag in state['resumed_keys'].items()
        },
    }


def from_plain_message_hub(state: dict) -> dict:
    """Turn the output of :func:`to_plain_message_hub` back.

    Args:
        state (dict): A plain message-hub state, or a
            ``MessageHub.state_dict()``, which is returned unchanged.

    Returns:
        dict: A state for ``MessageHub.load_state_dict``, whose
        ``log_scalars`` are ``HistoryBuffer`` objects.
    """
    if not state.get(_PLAIN_TAG):
        return state
    log_scalars = {}
    for key, plain in state['log_scalars'].items():
        log_scalars[key] = HistoryBuffer(plain['log_history'],
                                         plain['count_history'],
                                         plain['max_length'])
    return dict(
        log_scalars=log_scalars,
        runtime_info=dict(state['runtime_info']),
        resumed_keys=dict(state['resumed_keys']))
