# CUB-200-2011 with mmpretrain's CUB. Expected layout (official archive):
#   data/CUB_200_2011/images/<class>/*.jpg
#   data/CUB_200_2011/{images.txt,image_class_labels.txt,
#                      train_test_split.txt,classes.txt}
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/CUB_200_2011}}'
dataset_type = 'CUB'
data_preprocessor = dict(
    num_classes=200,
    # RGB mean/std of ImageNet
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='Resize', scale=256),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    # scoped: mmpretrain's inferencers build this pipeline in their scope
    dict(type='LoadImageChecked', _scope_='samix_mm'),
    dict(type='Resize', scale=256),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
