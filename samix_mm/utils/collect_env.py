# Copyright (c) samix_mm contributors. All rights reserved.
"""Collect the environment (versions, devices, compiler) for bug reports."""
from typing import Dict

from mmengine.utils import get_git_hash
from mmengine.utils.dl_utils import collect_env as collect_base_env


def collect_env() -> Dict[str, str]:
    """Collect the running environment, including the OpenMMLab stack.

    Returns:
        dict: Name → version/description, e.g. ``{'mmcv': '2.1.0', ...}``.
    """
    import mmcv
    import mmdet
    import mmpretrain

    import samix_mm
    env_info = collect_base_env()
    env_info['MMCV'] = mmcv.__version__
    try:
        from mmcv.ops import get_compiling_cuda_version, get_compiler_version
        env_info['MMCV Compiler'] = get_compiler_version()
        env_info['MMCV CUDA Compiler'] = get_compiling_cuda_version()
    except ImportError:
        env_info['MMCV Compiler'] = 'n/a (mmcv built without ops)'
    env_info['MMPreTrain'] = mmpretrain.__version__
    env_info['MMDetection'] = mmdet.__version__
    env_info['samix_mm'] = samix_mm.__version__ + '+' + get_git_hash()[:7]
    return env_info


if __name__ == '__main__':
    for name, val in collect_env().items():
        print(f'{name}: {val}')
