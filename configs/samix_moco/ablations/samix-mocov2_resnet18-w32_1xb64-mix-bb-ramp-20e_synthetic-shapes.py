# SAMix-I on the built-in data with the original code's ramp of the
# backbone's mixed-loss weight (one change): mix_bb_weight goes from 0 to
# its configured 1.0 by cosine over training (MixLossRampHook), so the
# encoder starts on MoCo v2's loss alone while the Mixer learns to mix.
_base_ = '../samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py'
custom_hooks = [dict(type='SAMixMomentumHook'), dict(type='MixLossRampHook')]
