# Copyright (c) samix_mm contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .batch_augments import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .mixers import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
from .tta import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from .wrappers import *  # noqa: F401,F403
