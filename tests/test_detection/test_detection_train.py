# Copyright (c) samix_mm contributors. All rights reserved.
"""Fine-tune detectors from a converted SAMix backbone on the generated
sets: two iterations and mmdet's evaluation through mmengine's Runner."""
import math
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from samix_mm.utils import safe_load

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(ROOT, 'configs', 'detection')


def tiny_run(name: str, data_root: str, checkpoint: str, work_dir: str,
             img_size: int) -> Config:
    """The synthetic config at ``img_size``, 2 iterations, no workers."""
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    cfg.work_dir = work_dir
    cfg.visualizer.pop('name')  # one visualizer per run, not a shared one
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    if cfg.model.roi_head.get('shared_head') is not None:
        cfg.model.roi_head.shared_head.init_cfg.checkpoint = checkpoint
        cfg.model.train_cfg.rcnn.sampler.num = 16
    cfg.model.test_cfg.rcnn.score_thr = 0.  # keep every detection
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.update(num_workers=0, persistent_workers=False)
        loader.dataset.data_root = data_root + '/'
        for step in loader.dataset.pipeline:
            if step.type == 'RandomChoiceResize':
                step.scales = [(1333, img_size)]
            elif step.type == 'Resize':
                step.scale = (1333, img_size)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.default_hooks.logger.interval = 1
    return cfg


def train_and_evaluate(cfg: Config) -> Runner:
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    return runner


def test_faster_rcnn_c4_fine_tunes_and_reports_voc_map(voc_root, converted,
                                                       tmp_path, img_size):
    cfg = tiny_run('faster-rcnn_r50-c4_synthetic-voc.py', voc_root,
                   converted['mmdet-c4'], str(tmp_path), img_size)
    runner = train_and_evaluate(cfg)
    mean_ap = runner.message_hub.get_scalar('val/pascal_voc/mAP').current()
    assert 0 <= mean_ap <= 100
    # the run started from the converted weights (2 warm-up steps later)
    expected = safe_load(converted['mmdet-c4'])['state_dict']
    model = runner.model
    for module, key in ((model.backbone.conv1, 'backbone.conv1.weight'),
                        (model.roi_head.shared_head.layer4[2].conv3,
                         'roi_head.shared_head.layer4.2.conv3.weight')):
        shift = (module.weight.detach() - expected[key]).abs().mean()
        assert shift < 1e-3, key  # a fresh init is ~0.05 away
    # SafeCheckpointHook works under mmdet's scope: the checkpoint passes
    # samix_mm's allow-list loader
    saved = safe_load(osp.join(str(tmp_path), 'iter_2.pth'))
    assert saved['meta']['dataset_meta']['classes'][0] == 'circle'
    assert 'roi_head.shared_head.layer4.0.conv1.weight' in saved['state_dict']


def test_mask_rcnn_fpn_fine_tunes_and_reports_bbox_and_segm_map(
        coco_root, converted, tmp_path, img_size):
    cfg = tiny_run('mask-rcnn_r50-fpn_synthetic-coco.py', coco_root,
                   converted['mmdet-fpn'], str(tmp_path), img_size)
    ann_file = osp.join(coco_root, 'annotations', 'instances_val2017.json')
    cfg.val_evaluator.ann_file = ann_file
    cfg.test_evaluator.ann_file = ann_file
    cfg.default_hooks.checkpoint = None  # no 350 MB file to write
    runner = train_and_evaluate(cfg)
    for metric in ('coco/bbox_mAP', 'coco/segm_mAP'):
        value = runner.message_hub.get_scalar(f'val/{metric}').current()
        assert 0 <= value <= 1, metric
