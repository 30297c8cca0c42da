# iNaturalist 2017 with samix_mm's INaturalist: the ImageNet-1k pipelines
# and loaders with the iNat files. Expected layout (official):
#   data/inat2017/train2017.json, val2017.json
#   data/inat2017/train_val_images/<super>/<category>/*.jpg
#   (the "file_name" of each json image, relative to data_root)
_base_ = './in1k_bs64.py'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/inat2017}}'
dataset_type = 'INaturalist'
data_preprocessor = dict(num_classes=5089)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='train2017.json',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='val2017.json',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
