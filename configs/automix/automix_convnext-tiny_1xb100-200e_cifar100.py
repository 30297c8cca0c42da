# AutoMix, ConvNeXt-T with a CIFAR stem (32 px) on CIFAR-100, 200 epochs,
# 1 GPU x 100: the SAMix config
# (../samix/samix_convnext-tiny_1xb100-200e_cifar100.py: backbone, data,
# schedule, hooks) with the Mixer of the original's AutoMix config
# (convnext_t_l2_a2_near_val_dp01_lr2e_3_mlr1e_4_bs100_ep200): nearest
# upsampling, lambda appended as a channel, a 1x1-conv value, q/k from the
# own sample only, L1 mask loss (no variance term), the Mixer trained with
# the label-smoothed mixup CE (head_mix_k = a copy of head_mix). That config
# trained with lr 2e-3 (the Mixer 1e-3) and no gradient clipping; here
# AutoMix gets SAMix's schedule, as the other AutoMix configs. No reference
# number is quoted for it.
_base_ = [
    '../samix/samix_convnext-tiny_1xb100-200e_cifar100.py',
    '../_base_/recipes/automix_parts.py',
]
model = dict(
    mixer=dict(_delete_=True, in_channels=384, lam_concat=True,
               **_base_.automix_mixer),
    **_base_.automix_model)
