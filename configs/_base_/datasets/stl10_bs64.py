# STL-10 labelled splits (official binary files in data/stl10_binary) for
# linear evaluation (docs/algorithm.md#evaluation-and-transfer): 5000 train /
# 8000 test images, 96 px, 10 classes. Train: RandomResizedCrop 96 + flip;
# test: the 96 px image.
dataset_type = 'STL10'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/stl10_binary}}'
data_preprocessor = dict(
    num_classes=10,
    # RGB mean/std of ImageNet, as in the pre-training configs
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # the dataset gives BGR images, like mmcv's loaders
    to_rgb=True)

train_pipeline = [
    dict(type='RandomResizedCrop', scale=96, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
