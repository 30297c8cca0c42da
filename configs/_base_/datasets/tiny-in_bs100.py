# Tiny-ImageNet-200 (official archive, unzipped). Expected layout:
#   data/tiny-imagenet-200/wnids.txt, words.txt
#   data/tiny-imagenet-200/train/<wnid>/images/*.JPEG
#   data/tiny-imagenet-200/val/images/*.JPEG, val/val_annotations.txt
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/tiny-imagenet-200}}'
dataset_type = 'TinyImageNet'
data_preprocessor = dict(
    num_classes=200,
    # RGB mean/std of ImageNet
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(
        type='RandomResizedCrop',
        scale=64,
        backend='pillow',
        interpolation='bicubic'),
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
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=100,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
