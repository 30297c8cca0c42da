# SyntheticShapes: the built-in dataset, rendered from a seed (no files).
# Ten shape classes on cluttered backgrounds, 32x32 px, 2500 train and 1000
# test images (the test split holds other images of the same distribution).
dataset_type = 'SyntheticShapes'
data_preprocessor = dict(
    num_classes=10,
    # RGB mean/std measured on the train split
    mean=[126.4, 126.7, 127.7],
    std=[60.4, 60.7, 61.1],
    # the dataset gives BGR images, like mmcv's loaders
    to_rgb=True)

train_pipeline = [
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        num_samples=2500,
        num_classes=10,
        img_size=32,
        seed=0,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        num_samples=1000,
        num_classes=10,
        img_size=32,
        seed=0,
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
