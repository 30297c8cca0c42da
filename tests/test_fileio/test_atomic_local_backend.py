# Copyright (c) samix_mm contributors. All rights reserved.
"""The atomic file backend: registered on demand, never at import time.

That a killed write leaves the old or the new file (never a part) is
tested in tests/test_reliability/test_atomic_checkpoint.py.
"""
import subprocess
import sys

from mmengine.fileio import get_file_backend

from samix_mm.fileio import (ATOMIC_BACKEND, TMP_NAME, AtomicLocalBackend,
                             register_atomic_backend)


def test_importing_samix_mm_registers_no_backend():
    """Nor does importing the hook that uses it; the hook registers it at
    ``before_train``."""
    code = '\n'.join([
        'from mmengine.fileio.backends.registry_utils import backends',
        'from samix_mm.utils import register_all_modules',
        'register_all_modules()',
        'import samix_mm.engine.hooks.atomic_checkpoint_hook',
        f'print({ATOMIC_BACKEND!r} in backends)',
    ])
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[-1] == 'False'


def test_register_is_idempotent_and_writes_atomically(tmp_path):
    register_atomic_backend()
    register_atomic_backend()  # a second call changes nothing
    backend = get_file_backend(backend_args=dict(backend=ATOMIC_BACKEND))
    assert type(backend) is AtomicLocalBackend
    target = tmp_path / 'sub' / 'file.txt'
    backend.put_text('first', target)
    backend.put(b'second', target)
    assert target.read_bytes() == b'second'
    assert [p.name for p in target.parent.iterdir()] == ['file.txt']


def test_tmp_name_matches_the_temporary_files():
    found = TMP_NAME.match('.epoch_3.pth.12345.0123abcd.tmp')
    assert found and found.group(1) == 'epoch_3.pth'
    assert found.group(2) == '12345'
    assert TMP_NAME.match('epoch_3.pth') is None
