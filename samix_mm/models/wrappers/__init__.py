# Copyright (c) samix_mm contributors. All rights reserved.
from .guarded_distributed_data_parallel import GuardedDistributedDataParallel

__all__ = ['GuardedDistributedDataParallel']
