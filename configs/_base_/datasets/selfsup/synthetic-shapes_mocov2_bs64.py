# SyntheticShapes (built-in, no files) for self-supervised pre-training: two
# MoCo v2 views per image, no labels used. 32 px, so no Gaussian blur (as in
# CIFAR-size MoCo recipes); 2500 training images.
_base_ = './mocov2_views.py'
dataset_type = 'SyntheticShapes'
data_preprocessor = dict(
    # RGB mean/std measured on the train split
    mean=[126.4, 126.7, 127.7],
    std=[60.4, 60.7, 61.1],
    # the dataset gives BGR images, like mmcv's loaders
    to_rgb=True)
view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    {{_base_.mocov2_transforms.color_jitter}},
    {{_base_.mocov2_transforms.grayscale}},
    {{_base_.mocov2_transforms.flip}},
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        num_samples=2500,
        num_classes=10,
        img_size=32,
        seed=0,
        pipeline=train_pipeline))
