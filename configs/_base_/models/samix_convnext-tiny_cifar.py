# SAMix with ConvNeXt-T (mmpretrain's ConvNeXt, arch 'tiny') with a CIFAR
# stem at 32 px, 100 classes: the original code's CIFAR-100 recipe (its
# convnext_t_l2_a2_bili_val_dp01 config). stem_patch_size=1 makes the stem a
# 1x1 conv of stride 1 (the original's ConvNeXt_CIFAR: a 3x3 conv of stride
# 1), so the stages run at 32, 16, 8 and 4 px. gap_before_final_norm=False
# makes the backbone give (N, C, h, w) maps (True pools them to (N, C)),
# each after a LayerNorm: the Mixer reads stage 3 (384 channels, 8x8), the
# heads the average of stage 4 (768 channels, 4x4). The original pooled the
# last stage before its LayerNorm and gave the Mixer stage 3 un-normalised.
# The rest (mask loss, label-smoothed heads, the eta-balanced Mixer loss) as
# the DeiT-S base, at ConvNeXt-T's widths.
_base_ = './samix_deit-small.py'
model = dict(
    mask_layer=2,
    backbone=dict(
        _delete_=True,
        type='ConvNeXt',
        arch='tiny',
        stem_patch_size=1,
        out_indices=(2, 3),
        gap_before_final_norm=False,
        drop_path_rate=0.3),
    # the original's SAMix Mixer for ConvNeXt-T: bilinear upsampling, no
    # lambda rescale, value dropout 0.1
    mixer=dict(in_channels=384, upsample_mode='bilinear',
               value_neck_cfg=dict(hidden_channels=192, dropout=0.1)),
    head_one=dict(in_channels=768),
    head_mix=dict(in_channels=768),
    head_mix_k=dict(in_channels=768),
)
