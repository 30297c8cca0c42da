# Places205 with mmpretrain's CustomDataset and annotation lists: the
# ImageNet-1k pipelines and loaders. Expected layout:
#   data/places205/meta/train.txt, meta/val.txt  ("<path> <label>" lines,
#       label in 0..204, path relative to the image folder below)
#   data/places205/train/<a>/<scene>/*.jpg, data/places205/val/*.jpg
_base_ = './in1k_bs64.py'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/places205}}'
dataset_type = 'CustomDataset'
data_preprocessor = dict(num_classes=205)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='train',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/val.txt',
        data_prefix='val',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
