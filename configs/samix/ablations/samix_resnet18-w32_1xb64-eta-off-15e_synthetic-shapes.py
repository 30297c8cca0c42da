# Ablation on the built-in data (one key changed): the Mixer is trained with
# plain mixup CE (mmpretrain's soft CrossEntropyLoss), i.e. eta = 0.
_base_ = '../samix_resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(
    head_mix_k=dict(
        loss=dict(_delete_=True, type='CrossEntropyLoss', use_soft=True,
                  loss_weight=1.0)))
