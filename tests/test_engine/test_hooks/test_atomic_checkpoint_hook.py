# Copyright (c) samix_mm contributors. All rights reserved.
"""AtomicCheckpointHook's copy of a private mmengine method stays in step.

``AtomicCheckpointHook._save_checkpoint_with_step`` is a copy of mmengine's
private ``CheckpointHook._save_checkpoint_with_step`` (pruning moved after
the save, ``last_checkpoint`` written atomically). The behaviour is tested
in tests/test_reliability/test_atomic_checkpoint.py; this test notices when
mmengine changes the original, which the copy would silently miss.
"""
import hashlib
import inspect

import mmengine
from mmengine.hooks import CheckpointHook

from samix_mm.engine.hooks import AtomicCheckpointHook

#: sha256 of ``inspect.getsource(CheckpointHook._save_checkpoint_with_step)``
#: in mmengine 0.10.7, the version the copy was made from.
ORIGINAL_SHA256 = \
    'cdbc1b54c7c88d9525ab025a9d51a3d3be6e6e36396c0f1151ecf51281fd3482'
COPIED_FROM = '0.10.7'


def test_copied_mmengine_method_is_unchanged():
    source = inspect.getsource(CheckpointHook._save_checkpoint_with_step)
    digest = hashlib.sha256(source.encode('utf-8')).hexdigest()
    assert digest == ORIGINAL_SHA256, (
        'mmengine.hooks.CheckpointHook._save_checkpoint_with_step changed '
        f'(mmengine {mmengine.__version__}; the copy in samix_mm/engine/'
        'hooks/atomic_checkpoint_hook.py, AtomicCheckpointHook.'
        f'_save_checkpoint_with_step, was made from mmengine {COPIED_FROM}). '
        'Compare the new original with the copy, port what changed, then '
        f'store the new sha256 {digest} and version in this test.')


def test_the_hook_overrides_the_copied_method():
    """The copy is still in use (else this test and the hash are moot)."""
    assert AtomicCheckpointHook._save_checkpoint_with_step is not \
        CheckpointHook._save_checkpoint_with_step
