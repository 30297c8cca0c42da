# Faster R-CNN R50-FPN on VOC07+12 from a SAMix-pretrained ResNet-50, on
# top of mmdet's own config (4 epochs over the 3x repeated 07+12 trainval,
# bs 16 = 8 GPUs x 2, lr 0.01, VOC2007 test 11-point mAP). As in the
# self-supervised transfer protocol, SyncBN is fine-tuned in the backbone
# and the FPN and no stage is frozen.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py'

# Where the data and the converted backbone are: DATA_ROOT and PRETRAINED in
# the environment replace the defaults below, in every dataloader and in the
# backbone's init_cfg (see README.md). Make the backbone with
#   python tools/model_converters/extract_backbone.py CKPT OUT \
#       --layout mmdet-fpn
data_root = '{{$DATA_ROOT:data/VOCdevkit/}}'
pretrained = '{{$PRETRAINED:work_dirs/converted/samix_r50_backbone.pth}}'

# samix_mm registers its safe checkpoint loader and hooks on import.
custom_imports = dict(
    imports=['samix_mm', 'samix_mm.engine.hooks'],
    allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    # torchvision-style weights: RGB, ImageNet mean and std (mmdet's
    # FPN default, restated here because the weights depend on it)
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(norm_cfg=norm_cfg))

# mmdet's VOC07+12 sets (3 x repeated) and pipeline with data_root
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        dataset=dict(datasets=[
            dict(
                type='VOCDataset',
                data_root=data_root,
                ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root=f'VOC{year}/'),
                filter_cfg=dict(
                    filter_empty_gt=True, min_size=32, bbox_min_size=32),
                pipeline=train_pipeline,
                backend_args={{_base_.backend_args}})
            for year in ('2007', '2012')
        ])))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

default_hooks = dict(
    # plain-data checkpoints, loadable through samix_mm's allow-list
    safe_checkpoint=dict(type='samix_mm.engine.hooks.SafeCheckpointHook'))
