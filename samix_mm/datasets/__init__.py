# Copyright (c) samix_mm contributors. All rights reserved.
from .image_folder import ImageFolder
from .in_memory_image_folder import InMemoryImageFolder
from .inaturalist import INaturalist
from .stl10 import STL10
from .synthetic_shapes import SyntheticShapes
from .tiny_imagenet import TinyImageNet
from .transforms import *  # noqa: F401,F403

__all__ = [
    'ImageFolder', 'InMemoryImageFolder', 'INaturalist', 'STL10',
    'SyntheticShapes', 'TinyImageNet', 'LoadImageChecked'
]
