# SAMix with Swin-T (mmpretrain's SwinTransformer, arch 'tiny') at 224 px,
# 100 classes: the original code's CIFAR-100 recipe (its
# swin_t_l3_a2_near_val_dp01_sz224 config). out_after_downsample=True gives
# each stage's output after its patch merging, as the original's Swin did:
# the Mixer reads stage 3 merged (768 channels, 7x7 at 224 px), the heads
# the average of stage 4 (768 channels, 7x7). Swin-T needs inputs of at
# least 224 px: a smaller one makes a stage map smaller than the 7x7 window,
# which mmpretrain refuses unless pad_small_map=True (which would also shift
# the windows of the 7x7 last stage at 224 px, unlike Swin).
# The rest (Mixer, mask loss, label-smoothed heads, the eta-balanced Mixer
# loss) as the DeiT-S base, at Swin-T's widths.
_base_ = './samix_deit-small.py'
model = dict(
    mask_layer=2,
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        arch='tiny',
        img_size=224,
        out_indices=(2, 3),
        out_after_downsample=True,
        drop_path_rate=0.2,
        # mmpretrain's Swin init (its own configs set it on the classifier)
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    # the original's SAMix Mixer for Swin-T: nearest upsampling, no lambda
    # rescale, value dropout 0.1
    mixer=dict(in_channels=768,
               value_neck_cfg=dict(hidden_channels=384, dropout=0.1)),
    head_one=dict(in_channels=768),
    head_mix=dict(in_channels=768),
    head_mix_k=dict(in_channels=768),
)
