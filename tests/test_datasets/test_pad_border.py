# Copyright (c) samix_mm contributors. All rights reserved.
import numpy as np
import pytest

from samix_mm.datasets.transforms import PadBorder


def test_reflect_padding_mirrors_the_border():
    img = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    out = PadBorder(padding=2)(dict(img=img.copy()))
    assert out['img'].shape == (8, 9, 3) and out['img_shape'] == (8, 9)
    np.testing.assert_array_equal(out['img'][2:6, 2:7], img)
    # reflection (without repeating the edge): row -1 is row 1
    np.testing.assert_array_equal(out['img'][1, 2:7], img[1])
    np.testing.assert_array_equal(out['img'][2:6, 0], img[:, 2])


def test_bad_mode():
    with pytest.raises(ValueError, match='padding_mode'):
        PadBorder(padding=4, padding_mode='wrap')
