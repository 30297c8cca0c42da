# Copyright (c) samix_mm contributors. All rights reserved.
"""Checkpoint converters: what tools/model_converters/ writes.

A layer above :mod:`samix_mm.models` (the converters build and check
models; no model imports them). The file SAMix^P reads back is read on the
model side, :mod:`samix_mm.models.utils.frozen_mixer_loader`.
"""
from .backbone_export import export_backbone
from .mixer_export import export_mixer

__all__ = ['export_backbone', 'export_mixer']
