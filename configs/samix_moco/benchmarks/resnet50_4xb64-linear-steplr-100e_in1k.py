# Linear evaluation on ImageNet-1k (the MoCo protocol,
# docs/algorithm.md#evaluation-and-transfer): frozen
# ResNet-50 (all four stages frozen, BN in eval), GAP + Linear(2048 ->
# 1000), RandomResizedCrop 224 + flip, SGD lr 30, momentum 0.9, no weight
# decay, lr x0.1 at epochs 60 and 80 of 100, 4 GPUs x 64. The backbone
# comes from
#   python tools/model_converters/extract_backbone.py CKPT OUT --encoder online
# of ../samix-mocov2_resnet50_4xb64-200e_in1k.py (or its variants:
# PRETRAINED=OUT).
_base_ = [
    '../../_base_/recipes/resnet50_linear-steplr-100e.py',
    '../../_base_/datasets/in1k_bs64.py',
]
model = dict(backbone=dict(init_cfg=dict(
    # the converted backbone; PRETRAINED=PATH (environment) replaces it
    checkpoint='{{$PRETRAINED:work_dirs/samix-mocov2_resnet50_4xb64-200e_in1k/backbone.pth}}')))
