# FGVC-Aircraft (variants) with mmpretrain's FGVCAircraft: the CUB-200
# pipelines and batch size. Expected layout:
#   data/fgvc-aircraft-2013b/data/images/*.jpg
#   data/fgvc-aircraft-2013b/data/images_variant_{trainval,test}.txt
#   data/fgvc-aircraft-2013b/data/variants.txt
_base_ = './cub200_bs16.py'
# DATA_ROOT=PATH in the environment reads the data from PATH instead
data_root = '{{$DATA_ROOT:data/fgvc-aircraft-2013b}}'
dataset_type = 'FGVCAircraft'
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
