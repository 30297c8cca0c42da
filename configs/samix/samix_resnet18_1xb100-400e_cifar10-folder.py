# SAMix, CIFAR-stem ResNet-18 on CIFAR-10 stored as JPG folders
# (train/<class>/*.jpg, test/<class>/*.jpg) in data/cifar10-jpg, or elsewhere:
#   DATA_ROOT=/path/to/cifar10-jpg python tools/train.py \
#       configs/samix/samix_resnet18_1xb100-400e_cifar10-folder.py
# Hyper-parameters: the CIFAR row of docs/algorithm.md#schedules (eta = 0.5).
_base_ = [
    '../_base_/models/samix_resnet18_cifar.py',
    '../_base_/datasets/cifar10_folder_bs100.py',
    '../_base_/schedules/sgd_coslr_cifar.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head_one=dict(num_classes=10),
    head_mix=dict(num_classes=10),
    head_mix_k=dict(num_classes=10))
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, ))
test_evaluator = val_evaluator
