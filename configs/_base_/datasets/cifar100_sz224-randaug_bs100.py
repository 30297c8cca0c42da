# CIFAR-100 resized to 224 px for DeiT-S and Swin-T, as the original code's
# CIFAR-100 configs for vision transformers: random resized crop of 80-100 %
# of the image to 224 px (bicubic), flip and its RandAugment
# (cifar100_randaug_bs100.py); test images resized to 224 px (bicubic).
_base_ = './cifar100_randaug_bs100.py'

train_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.8, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    {{_base_.rand_augment}},
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
