# AutoMix = the SAMix components with AutoMix values (docs/algorithm.md,
# "AutoMix as config values"): nearest upsampling, a 1x1-conv value, no lambda
# multiplication, q/k from the own sample only, L1 mask loss (no variance
# term), and the Mixer trained with plain mixup CE (head_mix_k = a copy of
# head_mix).
_base_ = ['./samix_resnet18_cifar.py', '../recipes/automix_parts.py']
model = dict(
    mixer=dict(_delete_=True, in_channels=256, lam_concat=False,
               **_base_.automix_mixer),
    **_base_.automix_model)
