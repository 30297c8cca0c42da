# iNaturalist 2018 with samix_mm's INaturalist: the iNat2017 settings with
# the 2018 files. Expected layout (official):
#   data/inat2018/train2018.json, val2018.json
#   data/inat2018/train_val2018/<super>/<category>/*.jpg
_base_ = './inat2017_bs64.py'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/inat2018}}'
data_preprocessor = dict(num_classes=8142)
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='train2018.json'))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='val2018.json'))
test_dataloader = val_dataloader
