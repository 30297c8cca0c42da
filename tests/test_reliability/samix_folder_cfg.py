# The tiny SAMix config on an image folder (set its data_root with
# --cfg-options train_dataloader.dataset.data_root=...), for the tests of
# broken image files.
_base_ = '../data/samix_tiny_synthetic.py'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageFolder',
        data_root='',
        split='train',
        pipeline=[dict(type='LoadImageChecked'),
                  dict(type='PackInputs')]))
