# Copyright (c) samix_mm contributors. All rights reserved.
"""Registries of samix_mm.

Every registry is a child of the matching mmpretrain registry, so configs with
``default_scope='samix_mm'`` build samix_mm components and, through the parent,
mmpretrain's and mmengine's alike (e.g. ``type='ResNet'`` or
``type='mmpretrain.ResNet'``). ``locations`` lets the registry import the
package that defines a component the first time it is looked up.

Building outside the samix_mm scope: mmpretrain's model APIs
(``get_model``, the inferencers, ``inference_model``, tools such as
``get_flops.py``) ignore the config's ``default_scope``: they build
``cfg.model`` with mmpretrain's ``MODELS`` under
``DefaultScope.overwrite_default_scope('mmpretrain')``. A parent registry
does not look into its children for a bare name (``SAMixClassifier``), and
``type='samix_mm.SAMixClassifier'`` finds the class but builds it in the
mmpretrain scope, where its own parts (``PixelMixer``, ``SAMixP``, ...) are
unknown again. Hence every samix_mm model config sets
``model._scope_='samix_mm'`` (in ``configs/_base_/models`` and the configs
that write a whole model): mmengine's ``build_from_cfg`` then imports
``samix_mm.registry`` (so also ``samix_mm``, whose import makes the checkpoint
allow-list mmengine's loader), switches the default scope to ``samix_mm``
for the whole model and builds it from these registries, whoever calls the
build: the Runner, ``mmpretrain.get_model`` or any other tool. Do the same
in your own configs. The inferencers build the test pipeline in the current
scope too, so a samix_mm transform there carries ``_scope_='samix_mm'``
(``LoadImageChecked`` also keeps the image the inferencer decoded).
Checkpoints written by the Runner keep the dataset's class names in
``meta['dataset_meta']``, which ``get_model`` puts on
``model._dataset_meta`` and the inferencers show. ``import samix_mm`` also
makes the configs of ``model-index.yml`` known to mmpretrain by name, which
``mmpretrain.inference_model`` needs (:mod:`samix_mm.utils.model_index`).
"""
from mmengine.registry import Registry
from mmpretrain.registry import DATA_SAMPLERS as MMPRE_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRE_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRE_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRE_HOOKS
from mmpretrain.registry import LOG_PROCESSORS as MMPRE_LOG_PROCESSORS
from mmpretrain.registry import LOOPS as MMPRE_LOOPS
from mmpretrain.registry import METRICS as MMPRE_METRICS
from mmpretrain.registry import MODEL_WRAPPERS as MMPRE_MODEL_WRAPPERS
from mmpretrain.registry import MODELS as MMPRE_MODELS
from mmpretrain.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMPRE_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRE_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRE_OPTIMIZERS
from mmpretrain.registry import PARAM_SCHEDULERS as MMPRE_PARAM_SCHEDULERS
from mmpretrain.registry import \
    RUNNER_CONSTRUCTORS as MMPRE_RUNNER_CONSTRUCTORS
from mmpretrain.registry import RUNNERS as MMPRE_RUNNERS
from mmpretrain.registry import BATCH_AUGMENTS as MMPRE_BATCH_AUGMENTS
from mmpretrain.registry import TASK_UTILS as MMPRE_TASK_UTILS
from mmpretrain.registry import TRANSFORMS as MMPRE_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRE_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRE_VISUALIZERS
from mmpretrain.registry import \
    WEIGHT_INITIALIZERS as MMPRE_WEIGHT_INITIALIZERS

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'BATCH_AUGMENTS', 'TASK_UTILS',
    'METRICS', 'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS'
]


def _child(name: str, parent: Registry, location: str) -> Registry:
    """Make a child registry of ``parent`` in the ``samix_mm`` scope."""
    return Registry(
        name, parent=parent, scope='samix_mm',
        locations=[f'samix_mm.{location}'])


#######################################################################
#                         samix_mm.engine                             #
#######################################################################
# Runners like `Runner`.
RUNNERS = _child('runner', MMPRE_RUNNERS, 'engine')
# Runner constructors that define how to initialize runners.
RUNNER_CONSTRUCTORS = _child('runner constructor', MMPRE_RUNNER_CONSTRUCTORS,
                             'engine')
# Loops which define the training or test process, like `EpochBasedTrainLoop`.
LOOPS = _child('loop', MMPRE_LOOPS, 'engine')
# Hooks to add additional functions during running, like `CheckpointHook`.
HOOKS = _child('hook', MMPRE_HOOKS, 'engine.hooks')
# Log processors to process the scalar log data.
LOG_PROCESSORS = _child('log processor', MMPRE_LOG_PROCESSORS, 'engine')
# Optimizers to optimize the model weights, like `SGD` and `Adam`.
OPTIMIZERS = _child('optimizer', MMPRE_OPTIMIZERS, 'engine.optimizers')
# Optimizer wrappers to enhance the optimization process.
OPTIM_WRAPPERS = _child('optimizer_wrapper', MMPRE_OPTIM_WRAPPERS,
                        'engine.optimizers')
# Optimizer constructors to customize the hyperparameters of optimizers.
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMPRE_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'engine.optimizers')
# Parameter schedulers to dynamically adjust optimization parameters.
PARAM_SCHEDULERS = _child('parameter scheduler', MMPRE_PARAM_SCHEDULERS,
                          'engine.schedulers')

#######################################################################
#                        samix_mm.datasets                            #
#######################################################################
# Datasets like the built-in `SyntheticShapes` and folder datasets.
DATASETS = _child('dataset', MMPRE_DATASETS, 'datasets')
# Samplers to sample the dataset.
DATA_SAMPLERS = _child('data sampler', MMPRE_DATA_SAMPLERS, 'datasets')
# Transforms to process the samples from the dataset.
TRANSFORMS = _child('transform', MMPRE_TRANSFORMS, 'datasets')

#######################################################################
#                         samix_mm.models                             #
#######################################################################
# Neural network modules: mixers, losses, classifiers, heads.
MODELS = _child('model', MMPRE_MODELS, 'models')
# Model wrappers like 'MMDistributedDataParallel'.
MODEL_WRAPPERS = _child('model_wrapper', MMPRE_MODEL_WRAPPERS, 'models')
# Weight initialization methods like uniform, xavier.
WEIGHT_INITIALIZERS = _child('weight initializer', MMPRE_WEIGHT_INITIALIZERS,
                             'models')
# Batch augmentations like `Mixup`, `CutMix` and the frozen SAMix^P mixer.
BATCH_AUGMENTS = _child('batch augment', MMPRE_BATCH_AUGMENTS, 'models')
# Task-specific modules like anchor generators and box coders.
TASK_UTILS = _child('task util', MMPRE_TASK_UTILS, 'models')

#######################################################################
#                       samix_mm.evaluation                           #
#######################################################################
# Metrics to evaluate the model prediction results.
METRICS = _child('metric', MMPRE_METRICS, 'evaluation')
# Evaluators to define the evaluation process.
EVALUATORS = _child('evaluator', MMPRE_EVALUATORS, 'evaluation')

#######################################################################
#                      samix_mm.visualization                         #
#######################################################################
# Visualizers to display task-specific results.
VISUALIZERS = _child('visualizer', MMPRE_VISUALIZERS, 'visualization')
# Backends to save the visualization results, like TensorBoard, WandB.
VISBACKENDS = _child('vis_backend', MMPRE_VISBACKENDS, 'visualization')
