# Copyright (c) samix_mm contributors. All rights reserved.
from .resnext_cifar import ResNeXt_CIFAR

__all__ = ['ResNeXt_CIFAR']
