# Copyright (c) samix_mm contributors. All rights reserved.
from .collect_env import collect_env
from .model_index import register_model_index
from .safe_checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                              from_plain_message_hub, register_safe_loader,
                              safe_load, to_plain_message_hub)
from .setup_env import register_all_modules

__all__ = [
    'collect_env', 'register_all_modules', 'safe_load',
    'register_safe_loader', 'register_model_index', 'to_plain_message_hub',
    'from_plain_message_hub',
    'UnsafeCheckpointError', 'CorruptCheckpointError'
]
