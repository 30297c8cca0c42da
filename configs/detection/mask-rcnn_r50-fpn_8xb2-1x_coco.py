# Mask R-CNN R50-FPN 1x on COCO 2017 from a SAMix-pretrained ResNet-50, on
# top of mmdet's own config (12 epochs, steps at 8/11, bs 16 = 8 GPUs x 2,
# lr 0.02, COCO bbox and segm mAP on val2017). As in the self-supervised
# transfer protocol, SyncBN is fine-tuned in the backbone and the FPN and
# no stage is frozen.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

# The converted backbone: set this path, or override it with
# --cfg-options model.backbone.init_cfg.checkpoint=OUT. Make it with
#   python tools/model_converters/extract_backbone.py CKPT OUT \
#       --layout mmdet-fpn
pretrained = 'work_dirs/converted/samix_r50_backbone.pth'

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

default_hooks = dict(
    # plain-data checkpoints, loadable through samix_mm's allow-list
    safe_checkpoint=dict(type='samix_mm.engine.hooks.SafeCheckpointHook'))
