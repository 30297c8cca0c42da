# Copyright (c) samix_mm contributors. All rights reserved.
"""Version of samix_mm and the OpenMMLab versions it is written for."""
__version__ = '0.1.0'

#: Inclusive lower / exclusive upper bounds of the supported OpenMMLab stack.
MMENGINE_RANGE = ('0.10.0', '0.11.0')
MMPRETRAIN_RANGE = ('1.2.0', '1.3.0')


def parse_version_info(version_str: str) -> tuple:
    """Parse a version string like ``'0.1.0'`` into a tuple of ints.

    Args:
        version_str (str): The version string.

    Returns:
        tuple: The numeric parts, e.g. ``(0, 1, 0)``.
    """
    return tuple(int(x) for x in version_str.split('.')[:3] if x.isdigit())


version_info = parse_version_info(__version__)
