# Copyright (c) samix_mm contributors. All rights reserved.
from .load_image_checked import LoadImageChecked

__all__ = ['LoadImageChecked']
