# What makes SAMix's parts AutoMix (docs/algorithm.md, "AutoMix as config
# values"), for a config that lists this file after its SAMix base:
#   model = dict(
#       mixer=dict(_delete_=True, in_channels=C, lam_concat=...,
#                  **_base_.automix_mixer),
#       **_base_.automix_model)
# The Mixer: nearest upsampling, a 1x1-conv value, no lambda multiplication,
# q/k from the own sample only; lam_concat (lambda appended as a channel)
# and in_channels (the channels of the stage it reads) differ by config.
# The rest of the model: an L1 mask loss (no variance term) and the Mixer
# trained with the classifier's mixup loss (head_mix_k = a copy of head_mix).
automix_mixer = dict(
    type='PixelMixer', reduction=2, use_scale=True, upsample_mode='nearest')
automix_model = dict(mask_loss=dict(variance_weight=0.), head_mix_k=None)
