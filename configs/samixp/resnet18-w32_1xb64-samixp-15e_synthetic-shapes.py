# SAMix^P on the built-in SyntheticShapes data: a plain mmpretrain
# ImageClassifier (the mixup baseline's half-width ResNet-18, data and
# budget) whose batches are mixed by the frozen Mixer of the SAMix demo.
# Make the Mixer file first (default path below):
#   python tools/train.py \
#       configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py \
#       --work-dir work_dirs/demo
#   python tools/model_converters/export_mixer.py \
#       work_dirs/demo/epoch_15.pth work_dirs/samixp/mixer_synthetic.pth
# Another file: --cfg-options model.train_cfg.augments.mixer_file=PATH
_base_ = '../mixup_baselines/resnet18-w32_1xb64-mixup-15e_synthetic-shapes.py'
model = dict(
    train_cfg=dict(
        augments=dict(
            _delete_=True,
            type='SAMixP',
            mixer_file='work_dirs/samixp/mixer_synthetic.pth',
            # how this config normalises its inputs; SAMixP maps them to
            # the normalisation of the Mixer's SAMix run
            mean={{_base_.data_preprocessor.mean}},
            std={{_base_.data_preprocessor.std}},
            alpha=2.0,
            lam_margin=0.08)))
