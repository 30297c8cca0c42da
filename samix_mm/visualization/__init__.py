# Copyright (c) samix_mm contributors. All rights reserved.
__all__ = []
