# Copyright (c) samix_mm contributors. All rights reserved.
"""Freed CPU memory stays in the process for reuse after the call."""
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = '''
import sys, torch
from samix_mm.utils.cpu_memory import keep_freed_cpu_memory
if sys.argv[1] == 'keep':
    assert keep_freed_cpu_memory()
def rss():
    with open('/proc/self/status') as f:
        line = next(l for l in f if l.startswith('VmRSS:'))
    return int(line.split()[1]) / 1024
base = rss()
block = torch.ones(64 * 2**20 // 4)  # 64 MiB, touched
peak = rss()
del block
print(peak - base, rss() - base)
'''


def held_after_free(mode):
    out = subprocess.run([sys.executable, '-c', SCRIPT, mode], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return [float(v) for v in out.stdout.split()]


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc')
def test_freed_block_is_kept_only_when_asked():
    grown, held = held_after_free('default')
    assert grown > 60 and held < 32  # glibc unmaps a big block on free
    grown, held = held_after_free('keep')
    assert grown > 60 and held > 60  # kept for the next step
