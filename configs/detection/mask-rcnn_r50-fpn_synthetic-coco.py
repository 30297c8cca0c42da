# Mask R-CNN R50-FPN on the generated COCO set (no downloads), for a short
# CPU demo of the transfer: the COCO config with the data of
#   python tools/misc/make_detection_data.py data/synthetic_coco \
#       --format coco
# (128 px images, 1-3 shapes of 4 classes each, RLE masks), small image
# scales, plain BN instead of SyncBN (one process), 40 iterations at bs 2
# (lr scaled linearly from 0.02 at bs 16), COCO bbox and segm mAP.
_base_ = './mask-rcnn_r50-fpn_8xb2-1x_coco.py'

# made by tools/misc/make_detection_data.py --format coco and
# tools/model_converters/extract_backbone.py --layout mmdet-fpn; DATA_ROOT and
# PRETRAINED in the environment replace them
data_root = '{{$DATA_ROOT:data/synthetic_coco/}}'
pretrained = '{{$PRETRAINED:work_dirs/detection_demo/samix_r50_backbone.pth}}'
# the classes of make_detection_data.py (its default --num-classes 4)
metainfo = dict(classes=('circle', 'square', 'triangle', 'cross'))

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(norm_cfg=norm_cfg, init_cfg=dict(checkpoint=pretrained)),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(num_classes=4), mask_head=dict(num_classes=4)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=100),
        rcnn=dict(max_per_img=20)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
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
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=data_root.rstrip('/') + '/annotations/instances_val2017.json')
test_evaluator = val_evaluator

max_iters = 40
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
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
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
