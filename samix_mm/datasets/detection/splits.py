# Copyright (c) samix_mm contributors. All rights reserved.
"""Train and test splits of the generated detection sets.

The last quarter of the images (at least one) forms the test split.
"""
from typing import Dict, Tuple

#: Split names of each format: (train, test).
SPLITS: Dict[str, Tuple[str, str]] = {
    'voc': ('trainval', 'test'),
    'coco': ('train2017', 'val2017'),
}


def split_sizes(num_images: int) -> Tuple[int, int]:
    """Train and test image counts: the test split is a quarter (>= 1).

    Args:
        num_images (int): Images in all, >= 2.

    Returns:
        tuple[int]: ``(num_train, num_test)``.
    """
    if num_images < 2:
        raise ValueError(f'num_images={num_images} leaves no test image; '
                         'set num_images >= 2')
    num_test = max(1, num_images // 4)
    return num_images - num_test, num_test
