# CIFAR-100 at 32 px (cifar100_bs100.py) with the RandAugment of the original
# code's CIFAR-100 configs for vision transformers and ConvNeXt: two of the
# FixMatch operations at magnitude 7 +- 0.5 of 10 (each applied with
# probability 0.5, mmpretrain's default) after crop and flip. The original's
# list also holds an identity operation, which mmpretrain has not.
_base_ = './cifar100_bs100.py'

rand_augment = dict(
    type='RandAugment',
    policies=[
        dict(type='AutoContrast'),
        dict(type='Brightness', magnitude_range=(0.05, 0.95)),
        dict(type='ColorTransform', magnitude_range=(0.05, 0.95)),
        dict(type='Contrast', magnitude_range=(0.05, 0.95)),
        dict(type='Equalize'),
        dict(type='Posterize', magnitude_range=(4, 8)),
        dict(type='Rotate', magnitude_range=(0, 30)),
        dict(type='Sharpness', magnitude_range=(0.05, 0.95)),
        dict(type='Shear', magnitude_range=(0, 0.3),
             direction='horizontal'),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
        dict(type='Solarize', magnitude_range=(256, 0)),
        dict(type='Translate', magnitude_range=(0, 0.3),
             direction='horizontal'),
        dict(type='Translate', magnitude_range=(0, 0.3),
             direction='vertical'),
    ],
    num_policies=2,
    total_level=10,
    magnitude_level=7,
    magnitude_std=0.5,
    hparams=dict(pad_val=[114, 123, 125], interpolation='bicubic'))
train_pipeline = [
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    rand_augment,
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
