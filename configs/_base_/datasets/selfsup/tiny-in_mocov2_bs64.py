# Tiny-ImageNet-200 train split (100000 images, 64 px, official layout in
# data/tiny-imagenet-200) for self-supervised pre-training: two MoCo v2
# views per image (the MoCo v2 augmentations at 64 px), no labels used.
dataset_type = 'TinyImageNet'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/tiny-imagenet-200}}'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    # RGB mean/std of ImageNet
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

view_pipeline = [
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    # MoCo v2's torchvision ColorJitter (hue 0.1) through mmpretrain's
    # wrapper: mmcv 2.1's adjust_hue raises OverflowError under NumPy 2
    dict(type='RandomApply',
         transforms=[
             dict(type='NumpyToPIL', to_rgb=True),
             dict(type='torchvision/ColorJitter', brightness=0.4,
                  contrast=0.4, saturation=0.4, hue=0.1),
             dict(type='PILToNumpy', to_bgr=True),
         ],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
