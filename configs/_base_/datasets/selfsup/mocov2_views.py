# What every MoCo v2 pre-training dataset here shares: the ImageNet RGB
# normalisation, the loader of 64 images per process and the MoCo v2 view
# transforms after the crop (mmpretrain's imagenet_bs32_mocov2.py). A
# dataset file adds its crop size and lists the transforms it uses:
#   view_pipeline = [dict(type='RandomResizedCrop', scale=S, ...),
#                    {{_base_.mocov2_transforms.color_jitter}}, ...]
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    # RGB mean/std of ImageNet
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
mocov2_transforms = dict(
    # MoCo v2's torchvision ColorJitter (hue 0.1) through mmpretrain's
    # wrapper: mmcv 2.1's adjust_hue raises OverflowError under NumPy 2
    color_jitter=dict(
        type='RandomApply',
        transforms=[
            dict(type='NumpyToPIL', to_rgb=True),
            dict(type='torchvision/ColorJitter', brightness=0.4,
                 contrast=0.4, saturation=0.4, hue=0.1),
            dict(type='PILToNumpy', to_bgr=True),
        ],
        prob=0.8),
    grayscale=dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
                   channel_weights=(0.114, 0.587, 0.2989)),
    blur=dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
              magnitude_std='inf', prob=0.5),
    flip=dict(type='RandomFlip', prob=0.5))
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
