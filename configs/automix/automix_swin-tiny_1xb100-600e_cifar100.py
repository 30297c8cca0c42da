# AutoMix, Swin-T (224 px) on CIFAR-100, 600 epochs: the 200-epoch
# config (automix_swin-tiny_1xb100-200e_cifar100.py) trained three times as
# long. No reference number is quoted for it.
_base_ = './automix_swin-tiny_1xb100-200e_cifar100.py'
train_cfg = dict(max_epochs=600)
