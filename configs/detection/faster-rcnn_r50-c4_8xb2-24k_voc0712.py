# Faster R-CNN R50-C4 on VOC07+12 from a SAMix-pretrained ResNet-50: the
# self-supervised detection-transfer protocol of MoCo
# (docs/algorithm.md#evaluation-and-transfer) on top of mmdet's own C4 VOC
# config. Differences from mmdet's ImageNet setting: torchvision-style (RGB,
# std-normalised, stride in the 3x3 conv) weights, SyncBN fine-tuned in the
# backbone and the RoI shared head (res5), no frozen stage, 24k iterations with
# steps at 18k/22k, bs 16 = 8 GPUs x 2. Not reproduced: detectron2's extra BN
# after res5 (Res5ROIHeadsExtraNorm) and PreciseBN at test time; mmdet has
# neither.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'

# Where the data and the converted backbone are: DATA_ROOT and PRETRAINED in
# the environment replace the defaults below, in every dataloader and in both
# init_cfg entries (see README.md). Make the backbone with
#   python tools/model_converters/extract_backbone.py CKPT OUT \
#       --layout mmdet-c4
# whose keys `backbone.*` and `roi_head.shared_head.*` feed the two parts.
data_root = '{{$DATA_ROOT:data/VOCdevkit/}}'
pretrained = '{{$PRETRAINED:work_dirs/converted/samix_r50_backbone_c4.pth}}'

# samix_mm registers its safe checkpoint loader and hooks on import.
custom_imports = dict(
    imports=['samix_mm', 'samix_mm.engine.hooks'],
    allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        style='pytorch',
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    roi_head=dict(
        shared_head=dict(
            style='pytorch',
            norm_cfg=norm_cfg,
            norm_eval=False,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=pretrained,
                prefix='roi_head.shared_head.'))))

# mmdet's VOC07+12 sets and pipeline (multi-scale training, short side
# 480-800 step 32) with data_root. VOC2007 and VOC2012 differ only in the
# `dataset_type` metainfo; ignoring it keeps one metainfo dict for the
# concatenation (as mmdet's voc0712 base does; its C4 config drops it).
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 480), (1333, 512), (1333, 544), (1333, 576),
                (1333, 608), (1333, 640), (1333, 672), (1333, 704),
                (1333, 736), (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                type='VOCDataset',
                data_root=data_root,
                ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root=f'VOC{year}/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline=train_pipeline,
                backend_args={{_base_.backend_args}})
            for year in ('2007', '2012')
        ]))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_iters = 24000
train_cfg = dict(max_iters=max_iters, val_interval=4000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[18000, 22000],
        gamma=0.1)
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=4000, max_keep_ckpts=2),
    # plain-data checkpoints, loadable through samix_mm's allow-list
    safe_checkpoint=dict(type='samix_mm.engine.hooks.SafeCheckpointHook'))
auto_scale_lr = dict(enable=False, base_batch_size=16)
