# Ablation on the built-in data (one key changed): the Mixer is trained with
# the BCE form of the eta-balanced SAMixLoss instead of the decoupled form.
_base_ = '../samix_resnet18-w32_1xb64-15e_synthetic-shapes.py'
model = dict(head_mix_k=dict(loss=dict(form='bce')))
