# Copyright (c) samix_mm contributors. All rights reserved.
"""samix_mm: SAMix (Scenario-Agnostic Mixup) on the OpenMMLab 2.x stack."""
import mmengine
import mmpretrain
from mmengine.utils import digit_version

from .version import MMENGINE_RANGE, MMPRETRAIN_RANGE, __version__


def _check(name: str, version: str, bounds: tuple) -> None:
    low, high = (digit_version(v) for v in bounds)
    if not low <= digit_version(version) < high:
        raise RuntimeError(
            f'samix_mm {__version__} needs {name}>={bounds[0]},<{bounds[1]} '
            f'but {name}=={version} is installed; run `make venv` to '
            'install the pinned stack.')


_check('mmengine', mmengine.__version__, MMENGINE_RANGE)
_check('mmpretrain', mmpretrain.__version__, MMPRETRAIN_RANGE)

# Every local checkpoint that mmengine loads goes through the allow-list;
# mmpretrain's model APIs know the configs of model-index.yml by name.
from .utils import register_model_index, register_safe_loader  # noqa: E402

register_safe_loader()
register_model_index()

__all__ = ['__version__']
