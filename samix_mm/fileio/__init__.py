# Copyright (c) samix_mm contributors. All rights reserved.
"""File I/O of samix_mm: mmengine file backends (registered on demand)."""
from .atomic_local_backend import (ATOMIC_BACKEND, TMP_NAME,
                                   AtomicLocalBackend, atomic_write,
                                   register_atomic_backend)

__all__ = [
    'ATOMIC_BACKEND', 'TMP_NAME', 'AtomicLocalBackend', 'atomic_write',
    'register_atomic_backend'
]
