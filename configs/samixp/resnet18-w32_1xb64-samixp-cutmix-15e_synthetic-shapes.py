# SAMix^P combined with CutMix: mmpretrain's RandomBatchAugment applies the
# frozen-Mixer SAMixP or CutMix to each batch, with probability 0.5 each.
# The Mixer file is made as described in
# resnet18-w32_1xb64-samixp-15e_synthetic-shapes.py; another file:
#   --cfg-options model.train_cfg.augments.0.mixer_file=PATH
_base_ = './resnet18-w32_1xb64-samixp-15e_synthetic-shapes.py'
model = dict(
    train_cfg=dict(
        _delete_=True,
        augments=[
            {{_base_.model.train_cfg.augments}},
            dict(type='CutMix', alpha=1.0),
        ],
        probs=[0.5, 0.5]))
