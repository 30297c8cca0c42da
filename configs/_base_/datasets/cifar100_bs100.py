# CIFAR-100 with mmpretrain's CIFAR100 (python version, no download).
# Expected layout:
#   data/cifar100/cifar-100-python/{train,test,meta}
#   (the extracted https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz)
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/cifar100}}'
dataset_type = 'CIFAR100'
data_preprocessor = dict(
    num_classes=100,
    # RGB mean/std of CIFAR-100
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    # mmpretrain's CIFAR100 gives RGB images already
    to_rgb=False)

train_pipeline = [
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=100,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        download=False,
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
        download=False,
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
