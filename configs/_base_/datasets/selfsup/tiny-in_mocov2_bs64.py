# Tiny-ImageNet-200 train split (100000 images, 64 px, official layout in
# data/tiny-imagenet-200) for self-supervised pre-training: two MoCo v2
# views per image (the MoCo v2 augmentations at 64 px), no labels used.
_base_ = './mocov2_views.py'
dataset_type = 'TinyImageNet'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/tiny-imagenet-200}}'
view_pipeline = [
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    {{_base_.mocov2_transforms.color_jitter}},
    {{_base_.mocov2_transforms.grayscale}},
    {{_base_.mocov2_transforms.blur}},
    {{_base_.mocov2_transforms.flip}},
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
