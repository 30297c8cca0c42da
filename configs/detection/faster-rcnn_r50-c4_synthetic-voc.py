# Faster R-CNN R50-C4 on the generated VOC set (no downloads), for a short
# CPU demo of the transfer: the VOC07+12 config with the data of
#   python tools/misc/make_detection_data.py data/synthetic_voc
# (128 px images, 1-3 shapes of 4 classes each), small image scales, plain
# BN instead of SyncBN (one process), 40 iterations at bs 2 (lr scaled
# linearly from 0.02 at bs 16), and fewer RoIs: the C4 head runs res5 on
# every RoI, which is what makes C4 slow on a CPU.
_base_ = './faster-rcnn_r50-c4_8xb2-24k_voc0712.py'

# made by tools/misc/make_detection_data.py and
# tools/model_converters/extract_backbone.py --layout mmdet-c4; DATA_ROOT and
# PRETRAINED in the environment replace them
data_root = '{{$DATA_ROOT:data/synthetic_voc/}}'
pretrained = '{{$PRETRAINED:work_dirs/detection_demo/samix_r50_backbone_c4.pth}}'
# the classes of make_detection_data.py (its default --num-classes 4)
metainfo = dict(classes=('circle', 'square', 'triangle', 'cross'))

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(norm_cfg=norm_cfg, init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(
        shared_head=dict(
            norm_cfg=norm_cfg, init_cfg=dict(checkpoint=pretrained)),
        bbox_head=dict(num_classes=4)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=100),
        rcnn=dict(sampler=dict(num=32))),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=30),
        rcnn=dict(max_per_img=20)))

# multi-scale training, short side 128-192 step 32 (the protocol's
# 480-800 scaled to the small images); test at 160
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 128), (1333, 160), (1333, 192)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 160), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='VOCDataset',
        data_root=data_root,
        metainfo=metainfo,
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 40
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=0.0025))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=10),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[30, 36],
        gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
