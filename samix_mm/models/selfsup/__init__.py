# Copyright (c) samix_mm contributors. All rights reserved.
from .samix_moco import SAMixMoCo
from .selfsup_mix_ops import gather_batch, global_partner_index

__all__ = ['SAMixMoCo', 'gather_batch', 'global_partner_index']
