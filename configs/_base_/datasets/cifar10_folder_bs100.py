# CIFAR-10 saved as JPG files, one folder per class. Expected layout:
#   data/cifar10-jpg/train/<class>/*.jpg   (airplane, automobile, ..., truck)
#   data/cifar10-jpg/test/<class>/*.jpg
# DATA_ROOT=PATH in the environment reads the data from PATH instead. (mmengine
# copies data_root into the dataloaders while it reads this file, so
# `--cfg-options data_root=PATH` would not reach them.)
data_root = '{{$DATA_ROOT:data/cifar10-jpg}}'
dataset_type = 'ImageFolder'
data_preprocessor = dict(
    num_classes=10,
    # RGB mean/std of CIFAR-10
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    # images are loaded as BGR
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    # scoped: mmpretrain's inferencers build this pipeline in their scope
    dict(type='LoadImageChecked', _scope_='samix_mm'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=100,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=100,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
