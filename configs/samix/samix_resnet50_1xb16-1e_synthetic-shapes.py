# Pre-training step of the detection-transfer demo
# (configs/detection/README.md): SAMix with the torchvision-style ResNet-50
# of the ImageNet configs on the built-in SyntheticShapes data at 64 px, one
# short epoch (8 iterations) on the CPU, lr 0.02 -> 0 for batch 16. It is
# no benchmark; it makes a real ResNet-50 samix_mm checkpoint (`backbone.*`:
# online encoder, `backbone_k.*`: momentum encoder) to convert.
_base_ = [
    '../_base_/models/samix_resnet50_in1k.py',
    '../_base_/datasets/synthetic_shapes_bs64.py',
    '../_base_/schedules/sgd_coslr_cifar.py',
    '../_base_/default_runtime.py',
]
img_size = 64
model = dict(
    head_one=dict(num_classes=10),
    head_mix=dict(num_classes=10),
    head_mix_k=dict(num_classes=10))
train_pipeline = [
    dict(type='RandomCrop', crop_size=img_size, padding=8,
         padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    dataset=dict(num_samples=128, img_size=img_size,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, dataset=dict(num_samples=32, img_size=img_size))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiHeadAccuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=1, val_interval=1)
auto_scale_lr = dict(base_batch_size=16)
custom_hooks = [dict(type='SAMixMomentumHook', end_momentum=0.99999)]
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=1))
