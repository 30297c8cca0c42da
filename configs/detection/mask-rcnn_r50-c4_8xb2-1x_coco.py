# Mask R-CNN R50-C4 1x on COCO 2017 from a SAMix-pretrained ResNet-50: the C4
# transfer protocol of MoCo (docs/algorithm.md#evaluation-and-transfer) on top
# of mmdet's own C4 config (12 epochs, steps at 8/11, bs 16 = 8 GPUs x 2, lr
# 0.02, COCO bbox and segm mAP on val2017). Differences from mmdet's ImageNet
# setting: torchvision-style (RGB, std-normalised, stride in the 3x3 conv)
# weights, SyncBN fine-tuned in the backbone and the RoI shared head (res5), no
# frozen stage. Not reproduced: detectron2's extra BN after res5 and PreciseBN
# at test time; mmdet has neither.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50-caffe-c4_1x_coco.py'

# Where the data and the converted backbone are: DATA_ROOT and PRETRAINED in
# the environment replace the defaults below, in every dataloader, the
# evaluators' annotation file and both init_cfg
# entries (see README.md). Make the backbone with
#   python tools/model_converters/extract_backbone.py CKPT OUT \
#       --layout mmdet-c4
# whose keys `backbone.*` and `roi_head.shared_head.*` feed the two parts.
data_root = '{{$DATA_ROOT:data/coco/}}'
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

# mmdet's COCO 2017 sets with data_root
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=data_root.rstrip('/') + '/annotations/instances_val2017.json')
test_evaluator = val_evaluator

default_hooks = dict(
    # plain-data checkpoints, loadable through samix_mm's allow-list
    safe_checkpoint=dict(type='samix_mm.engine.hooks.SafeCheckpointHook'))
