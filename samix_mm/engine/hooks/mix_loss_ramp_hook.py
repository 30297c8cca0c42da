# Copyright (c) samix_mm contributors. All rights reserved.
"""Cosine ramp of the backbone's mixed-loss weight (self-supervised)."""
import numbers

from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from samix_mm.registry import HOOKS
from .cosine_decay import cosine_decay


@HOOKS.register_module()
class MixLossRampHook(Hook):
    """Ramp ``model.mix_bb_weight`` up from 0 by cosine, per iteration.

    At iteration t of T the weight of the online encoder's mixed InfoNCE
    (``loss_mix_bb`` of :class:`SAMixMoCo`) is ``w0 * (1 - cos(pi t / T))
    / 2``, ``w0`` being the configured ``mix_bb_weight``: the encoder first
    learns from the plain MoCo v2 loss while the Mixer learns to mix, and
    the mixed samples count fully only at the end. This is the original
    code's "accent" schedule of a loss weight (the counterpart of the
    "decent" one that :class:`MaskLossAnnealHook` applies to the mask
    loss). The base is read once, so a resumed run (a second
    ``before_train``) keeps ramping towards the configured weight. While
    the weight is 0 (iteration 0) the model skips the backbone branch.

    A configured ``mix_bb_weight`` of 0 (the control) is refused: there is
    nothing to ramp.
    """

    priority = 'NORMAL'

    def __init__(self):
        self.base_weight = None

    def before_train(self, runner) -> None:
        self.model = get_ori_model(runner.model)
        weight = getattr(self.model, 'mix_bb_weight', None)
        if isinstance(weight, bool) or \
                not isinstance(weight, numbers.Real):
            raise TypeError(
                'MixLossRampHook needs a model with a numeric mix_bb_weight '
                f'(SAMixMoCo); {type(self.model).__name__} has none')
        if self.base_weight is None:
            if weight <= 0:
                raise ValueError(
                    'MixLossRampHook ramps mix_bb_weight up to its '
                    f'configured value, got {weight}; set mix_bb_weight > 0 '
                    'or remove the hook')
            self.base_weight = float(weight)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None):
        self.model.mix_bb_weight = self.base_weight * (
            1 - cosine_decay(runner.iter, runner.max_iters))
