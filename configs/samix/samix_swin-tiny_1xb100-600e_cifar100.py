# SAMix, Swin-T (224 px) on CIFAR-100, 600 epochs: the 200-epoch config
# (samix_swin-tiny_1xb100-200e_cifar100.py) trained three times as long.
# The original's 600-epoch config also changed the minimum lr (2e-4), the
# Mixer's lr (7.5e-4) and drew the upsampling mode at random (bilinear or
# nearest). No reference number is quoted for it.
_base_ = './samix_swin-tiny_1xb100-200e_cifar100.py'
train_cfg = dict(max_epochs=600)
