# Control on the built-in data (one key changed): SAMix-I without its
# backbone loss. The Mixer still trains, but no mixed sample reaches the
# online encoder, so the encoder learns MoCo v2's loss alone; the SSL
# benchmark checks that this lands where MoCo v2 does.
_base_ = '../samix-mocov2_resnet18-w32_1xb64-20e_synthetic-shapes.py'
model = dict(mix_bb_weight=0.)
