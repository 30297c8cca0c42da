# SAMix with a torchvision-style ResNet-50 at 224 px, 100 epochs: the model
# (with its hooks), the schedule with a Mixer parameter group and the
# runtime of the ImageNet-scale configs, without the data
# (docs/algorithm.md#schedules). A config adds its dataset file, the heads'
# num_classes and the MultiHeadAccuracy evaluator.
_base_ = [
    '../models/samix_resnet50_in1k.py',
    '../schedules/sgd_coslr_mixer-group.py',
    '../default_runtime.py',
]
