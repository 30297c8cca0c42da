# Runtime settings shared by every samix_mm config.
default_scope = 'samix_mm'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Checkpoints are written to a temporary file and renamed (never
    # partial); --resume (auto) skips an incomplete newest checkpoint.
    checkpoint=dict(
        type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # Checkpoints hold plain data only (no pickled objects) and restore every
    # random state on resume; samix_mm loads them through an allow-list.
    safe_checkpoint=dict(type='SafeCheckpointHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# Distributed training keeps the SAMix models' NaN/Inf guard (other models
# train exactly as with mmengine's MMDistributedDataParallel).
model_wrapper_cfg = dict(type='GuardedDistributedDataParallel')

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
