# Mask R-CNN R50-FPN 1x on COCO 2017 from a SAMix-pretrained ResNet-50, on
# top of mmdet's own config (12 epochs, steps at 8/11, bs 16 = 8 GPUs x 2,
# lr 0.02, COCO bbox and segm mAP on val2017). As in the self-supervised
# transfer protocol, SyncBN is fine-tuned in the backbone and the FPN and
# no stage is frozen.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

# Where the data and the converted backbone are: DATA_ROOT and PRETRAINED in
# the environment replace the defaults below, in every dataloader, the
# evaluators' annotation file and the backbone's
# init_cfg (see README.md). Make the backbone with
#   python tools/model_converters/extract_backbone.py CKPT OUT \
#       --layout mmdet-fpn
data_root = '{{$DATA_ROOT:data/coco/}}'
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
