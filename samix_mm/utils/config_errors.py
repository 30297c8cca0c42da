# Copyright (c) samix_mm contributors. All rights reserved.
"""One-line answers, with the closest valid name, to misspelt config keys
and types.

mmengine builds every component of a config with
:func:`mmengine.registry.build_from_cfg`; a misspelt type stops it with a
``KeyError``, a misspelt keyword with a ``TypeError`` from the class's
``__init__``. Both leave a long traceback. :func:`explain_config_error`
finds the failing ``build_from_cfg`` call in the traceback and words the
error as one line: the class (or registry), the bad name and the closest
valid one (:mod:`difflib`).
"""
import difflib
import inspect
import re
import sys
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Callable, Iterator, List, Optional

from mmengine.registry import Registry, build_from_cfg

_UNEXPECTED = re.compile(r"got an unexpected keyword argument '(\w+)'")
_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                  inspect.Parameter.KEYWORD_ONLY)


def _build_frame(tb: Optional[TracebackType]) -> Optional[FrameType]:
    """The innermost ``build_from_cfg`` frame of a traceback, if any."""
    frame = None
    while tb is not None:
        if tb.tb_frame.f_code is build_from_cfg.__code__:
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


def init_arguments(obj: Callable) -> List[str]:
    """The keyword arguments that ``obj(...)`` accepts by name.

    For a class: its ``__init__``'s, then its bases' as long as each
    ``__init__`` passes ``**kwargs`` on.

    Args:
        obj (callable): A class or function a registry builds.

    Returns:
        list[str]: The argument names, without ``self``.
    """
    inits = [obj]
    if inspect.isclass(obj):
        inits = [klass.__dict__['__init__']
                 for klass in inspect.getmro(obj)[:-1]  # without object
                 if '__init__' in klass.__dict__]
    names: List[str] = []
    for init in inits:
        params = inspect.signature(init).parameters.values()
        names += [p.name for p in params
                  if p.kind in _KEYWORD_KINDS and p.name != 'self']
        if all(p.kind is not p.VAR_KEYWORD for p in params):
            break
    return list(dict.fromkeys(names))


def _closest(name: str, candidates: List[str], otherwise: str) -> str:
    """``did you mean 'x'?`` with the closest candidate, else
    ``otherwise``."""
    match = difflib.get_close_matches(name, candidates, n=1)
    return f"did you mean '{match[0]}'?" if match else otherwise


def _registry_names(registry: Registry) -> List[str]:
    """The types a registry finds: its own and its parents'."""
    names: List[str] = []
    while registry is not None:
        names += list(registry.module_dict)
        registry = registry.parent
    return names


def _explain_key(error: TypeError, names: dict) -> Optional[str]:
    """A keyword of the config that the built class does not take."""
    match = _UNEXPECTED.search(str(error))
    if match is None or 'obj_cls' not in names:
        return None
    key, obj = match.group(1), names['obj_cls']
    valid = init_arguments(obj)
    if key not in names.get('args', {}) or key in valid:
        return None  # raised by a call inside the class, not by the config
    valid_list = 'valid: ' + ', '.join(sorted(valid))
    return (f"{obj.__name__} ({obj.__module__}) has no argument '{key}'; "
            f'{_closest(key, valid, valid_list)}')


def _explain_type(names: dict) -> Optional[str]:
    """A ``type`` that the registry does not find."""
    obj_type, registry = names.get('obj_type'), names.get('registry')
    if not (isinstance(obj_type, str) and isinstance(registry, Registry)
            and registry.get(obj_type) is None):
        return None
    unknown = ('check the spelling, or import the module that registers '
               'it (custom_imports)')
    return (f"no type '{obj_type}' in the {registry.scope}::{registry.name}"
            f' registry; '
            f'{_closest(obj_type, _registry_names(registry), unknown)}')


def explain_config_error(error: BaseException) -> Optional[str]:
    """One line for a misspelt config key or type, else None.

    Args:
        error (BaseException): An error raised while building from a
            config.

    Returns:
        str or None: e.g. ``"PixelMixer (samix_mm.models.mixers.
        pixel_mixer) has no argument 'lam_concatt'; did you mean
        'lam_concat'?"``, or None when ``error`` is not a misspelt keyword
        or type of a ``build_from_cfg`` call.
    """
    frame = _build_frame(error.__traceback__)
    if frame is None:
        return None
    if isinstance(error, TypeError):
        return _explain_key(error, frame.f_locals)
    if isinstance(error, KeyError):
        return _explain_type(frame.f_locals)
    return None


@contextmanager
def config_errors_in_one_line() -> Iterator[None]:
    """Exit with one line (``error: ...``) on a misspelt config key or
    type; other errors pass unchanged.

    Example:
        >>> with config_errors_in_one_line():
        ...     Runner.from_cfg(cfg).train()
    """
    try:
        yield
    except (KeyError, TypeError) as error:
        message = explain_config_error(error)
        if message is None:
            raise
        sys.exit(f'error: {message}')

