# Copyright (c) samix_mm contributors. All rights reserved.
"""Multi-process training on CPU (gloo) with mmengine's Runner."""
import datetime

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` and the process group for multi-process CPU training.

    mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and wraps
    the model with ``device_ids=[LOCAL_RANK]``, which both fail without a
    GPU. On a machine without CUDA this initialises a ``gloo`` process group
    first (so mmengine skips its own ``init_dist``) and builds the DDP wrapper
    with ``device_ids=None``. With CUDA it does nothing (NCCL as usual).

    Args:
        cfg (Config): The config to update in place.
        launcher (str): The ``--launcher`` argument of ``tools/train.py``.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ValueError(f'launcher "{launcher}" needs CUDA GPUs; on CPU use '
                         '--launcher pytorch (tools/dist_train.sh CONFIG N)')
    if cfg.get('sync_bn') is not None:
        raise ValueError(f'sync_bn={cfg.sync_bn!r} needs CUDA GPUs (torch '
                         'and mmcv have no CPU SyncBatchNorm); remove sync_bn'
                         ' to train on CPU: each process then keeps its own '
                         'BN statistics')
    if not dist.is_initialized():
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
        kwargs = {} if timeout is None else dict(
            timeout=datetime.timedelta(seconds=timeout))
        dist.init_process_group(backend='gloo', **kwargs)
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'


def teardown_distributed() -> None:
    """Wait for every process, then destroy the process group.

    Without this, the first process to finish exits while gloo's worker
    threads of the others still talk to it; the C++ runtime then aborts
    ("terminate called without an active exception") and torchrun reports
    the whole job as failed although training completed. Does nothing when
    no process group was initialised.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
