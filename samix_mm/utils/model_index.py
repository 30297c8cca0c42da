# Copyright (c) samix_mm contributors. All rights reserved.
"""Make samix_mm's configs known to mmpretrain by name.

``model-index.yml`` at the repository root lists them in mmpretrain's
model-index format, importing one ``metafile.yml`` per config folder (not
the detection folder's, whose mmdet detectors mmpretrain cannot build).
Once registered, ``mmpretrain.get_model(NAME, pretrained=CKPT)``,
``mmpretrain.list_models('samix*')``, the inferencers and
``mmpretrain.inference_model`` find them; the last needs a model built from
a name, since mmpretrain 1.x picks the inferencer from the model-index task
and has none for a model built from a config path.
"""
import os.path as osp

from mmpretrain.apis import ModelHub

#: The repository root, which holds ``model-index.yml`` and ``configs/``.
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL_INDEX = osp.join(ROOT, 'model-index.yml')


def register_model_index() -> bool:
    """Register ``model-index.yml`` in mmpretrain's ``ModelHub`` once.

    Returns:
        bool: Whether the index is registered: False where it is missing
        (samix_mm installed without its repository).
    """
    if not osp.isfile(MODEL_INDEX):
        return False
    if not getattr(ModelHub, '_samix_mm_registered', False):
        ModelHub.register_model_index(MODEL_INDEX, config_prefix=ROOT)
        ModelHub._samix_mm_registered = True
    return True
