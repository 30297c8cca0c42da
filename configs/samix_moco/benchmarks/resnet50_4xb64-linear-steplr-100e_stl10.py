# Linear evaluation on STL-10 (docs/algorithm.md#evaluation-and-transfer):
# frozen ResNet-50 (all four stages frozen, BN in eval), GAP + Linear(2048 ->
# 10), 96 px, SGD lr 1.0, momentum 0.9, no weight decay, lr x0.1 at epochs 60
# and 80 of 100, 4 GPUs x 64. The backbone comes from
#   python tools/model_converters/extract_backbone.py CKPT OUT --encoder online
# of ../samix-mocov2_resnet50_4xb64-400e_stl10.py (or its SAMix-C / MoCo v2
# variants: PRETRAINED=OUT).
_base_ = [
    '../../_base_/recipes/resnet50_linear-steplr-100e.py',
    '../../_base_/datasets/stl10_bs64.py',
]
model = dict(
    backbone=dict(init_cfg=dict(
        # the converted backbone; PRETRAINED=PATH (environment) replaces it
        checkpoint='{{$PRETRAINED:work_dirs/samix-mocov2_resnet50_4xb64-400e_stl10/backbone.pth}}')),
    head=dict(num_classes=10))
optim_wrapper = dict(optimizer=dict(lr=1.0))
