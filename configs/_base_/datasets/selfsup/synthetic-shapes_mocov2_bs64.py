# SyntheticShapes (built-in, no files) for self-supervised pre-training: two
# MoCo v2 views per image, no labels used. 32 px, so no Gaussian blur (as in
# CIFAR-size MoCo recipes); 2500 training images.
dataset_type = 'SyntheticShapes'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    # RGB mean/std measured on the train split
    mean=[126.4, 126.7, 127.7],
    std=[60.4, 60.7, 61.1],
    # the dataset gives BGR images, like mmcv's loaders
    to_rgb=True)

view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.),
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
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    drop_last=True,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        num_samples=2500,
        num_classes=10,
        img_size=32,
        seed=0,
        pipeline=train_pipeline))
