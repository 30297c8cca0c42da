# STL-10 train + unlabeled (105000 images, 96 px, official binary files in
# data/stl10_binary) for self-supervised pre-training: two MoCo v2 views
# per image (the MoCo v2 augmentations at 96 px), no labels used. RGB
# mean/std of ImageNet (STL-10's own statistics: UNKNOWN choice).
_base_ = './mocov2_views.py'
dataset_type = 'STL10'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/stl10_binary}}'
view_pipeline = [
    dict(type='RandomResizedCrop', scale=96, crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    {{_base_.mocov2_transforms.color_jitter}},
    {{_base_.mocov2_transforms.grayscale}},
    {{_base_.mocov2_transforms.blur}},
    {{_base_.mocov2_transforms.flip}},
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train+unlabeled',
        pipeline=train_pipeline))
