# Copyright (c) samix_mm contributors. All rights reserved.
"""Atomic local writes: a file is the old or the new one, never a part."""
import os
import os.path as osp
import re
import uuid
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

#: Name of the mmengine file backend that writes local files atomically.
ATOMIC_BACKEND = 'samix_atomic_local'
# ``.<name>.<pid>.<8 hex>.tmp``: the temporary files of :func:`atomic_write`.
TMP_NAME = re.compile(r'^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$')


def atomic_write(data: bytes, path: Union[str, Path]) -> None:
    """Write ``data`` to ``path``: afterwards it is the old or the new file.

    The bytes go to a hidden temporary file in the same folder, which is
    flushed to disk and then renamed over ``path`` with :func:`os.replace`
    (atomic on POSIX and Windows). A process killed before the rename leaves
    ``path`` untouched and a stale ``.<name>.<pid>.<hex>.tmp`` file.

    Args:
        data (bytes): The content.
        path (str | Path): Where to write it.
    """
    path = osp.abspath(str(path))
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}.'
                   f'{uuid.uuid4().hex[:8]}.tmp')
    try:
        with open(tmp, 'xb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable; not possible everywhere
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose writes use :func:`atomic_write`.

    Registered as the mmengine file backend ``'samix_atomic_local'`` by
    :func:`register_atomic_backend`.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes atomically; see :func:`atomic_write`."""
        atomic_write(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text atomically; see :func:`atomic_write`."""
        atomic_write(obj.encode(encoding), filepath)


def register_atomic_backend() -> None:
    """Register :class:`AtomicLocalBackend` as the mmengine file backend
    :data:`ATOMIC_BACKEND`.

    Idempotent: a second call registers the same class again. Nothing is
    registered at import time; ``AtomicCheckpointHook`` calls this before
    it hands the backend to mmengine.
    """
    register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)
