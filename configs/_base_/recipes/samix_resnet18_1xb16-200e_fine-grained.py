# SAMix, ResNet-18 fine-tuned from torchvision ImageNet weights on a
# fine-grained dataset (CUB-200, FGVC-Aircraft), 1 GPU x 16, 200 epochs
# (docs/algorithm.md#schedules): lr 1e-3 -> 0, wd 5e-4, Mixer 0.01 -> 5e-4,
# lambda rescale k=1, no self-pairs, eta = 1.0 (the reference used plain mixup
# CE; see docs/algorithm.md#differences-from-the-original-code). The
# torchvision weights are fetched by mmengine on first use. The heads have
# the 200 classes of CUB-200; a config adds its dataset file (and num_classes
# for another dataset) and the MultiHeadAccuracy evaluator.
_base_ = './samix_resnet50_4xb64-100e.py'
model = dict(
    mix_no_repeat=True,
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    mixer=dict(in_channels=256, lam_mul_k=1,
               value_neck_cfg=dict(hidden_channels=128)),
    head_one=dict(num_classes=200, in_channels=512),
    head_mix=dict(num_classes=200, in_channels=512),
    head_mix_k=dict(num_classes=200, in_channels=512))
# the Mixer group's lr decays to 5e-4
param_scheduler = [
    dict(_base_.param_scheduler[0], group_eta_min=dict(mixer=5e-4))]
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=5e-4),
    paramwise_cfg=dict(mixer=dict(lr=0.01, momentum=0.9)))
train_cfg = dict(max_epochs=200)
