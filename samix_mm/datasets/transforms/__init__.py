# Copyright (c) samix_mm contributors. All rights reserved.
from .load_image_checked import LoadImageChecked
from .pad_border import PadBorder

__all__ = ['LoadImageChecked', 'PadBorder']
