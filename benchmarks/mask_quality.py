# Copyright (c) samix_mm contributors. All rights reserved.
"""How well each mixing method keeps the objects in proportion to λ.

On the built-in SyntheticShapes test split every image comes with its
object mask, so we can measure, for every mixed pair (a, b) and mask M
(``M_a`` weighs image a, ``M_b = 1 - M_a`` its partner):

* ``kept_a = sum(M_a * obj_a) / sum(obj_a)``: how much of a's object is
  still visible in the mixed image (``kept_b`` likewise),
* against the label weight the method assigns (λ for a, 1 − λ for b).

Reported per method: the mean absolute gap ``|kept - weight|``, the
correlation between kept and weight, how often an object with label
weight ≥ 0.25 is erased almost entirely (kept < 0.05), and the mean kept
share of all objects (0.5 when the mask is blind to objects: the two
partners' shares sum to 1 per pixel; above 0.5 when objects are kept at
the expense of backgrounds).

Methods: Mixup (constant mask), CutMix (mmpretrain's box sampling and
λ correction), FMix, GridMix and SaliencyMix (samix_mm's batch augments:
their masks and label weights = the actual areas) and each given
SAMix/AutoMix checkpoint (its trained Mixer, fed by its momentum encoder,
as in training), and each given checkpoint of a classifier that mixes in
its own step (``--classifier``): PuzzleMix (:func:`puzzlemix_masks`: the
saliency of that classifier, its graph-cut masks and block transport; the
label weight = the mask's mean) and TransMix (:func:`transmix_masks`: one
CutMix box per batch; the label weight = the class attention's share on
the kept patches).

Example::

    python benchmarks/mask_quality.py \
        --model samix=work_dirs/demo/epoch_15.pth \
        --config configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py
    # PuzzleMix / TransMix too: --classifier CONFIG=CKPT (repeatable), e.g.
    # configs/mixup_baselines/resnet18-w32_1xb64-puzzlemix-15e_synthetic-
    # shapes.py and its checkpoint work_dirs/pm/epoch_15.pth
"""
import argparse
import json
import os.path as osp
import sys
from typing import Union

import numpy as np
import torch
from mmengine.config import Config
from mmpretrain.models.utils.batch_augments import CutMix

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from samix_mm.datasets import SyntheticShapes  # noqa: E402
from samix_mm.models.batch_augments import (FMix, GridMix,  # noqa: E402
                                            SaliencyMix)
from samix_mm.models.utils import (apply_transport,  # noqa: E402
                                   forward_to_stage)
from samix_mm.registry import MODELS  # noqa: E402
from samix_mm.utils import register_all_modules  # noqa: E402
from samix_mm.utils.safe_checkpoint import safe_load  # noqa: E402


def load_model(config: Union[str, Config], checkpoint: str):
    """Build the model of ``config`` (a path or a loaded config,
    with its top-level data preprocessor, as the Runner does) and load
    ``checkpoint`` with ``safe_load``."""
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    model_cfg = cfg.model.to_dict()
    if 'data_preprocessor' in cfg:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    model = MODELS.build(model_cfg)
    state = safe_load(checkpoint, map_location='cpu')['state_dict']
    model.load_state_dict(state, strict=True)
    return model.eval()


def cutmix_masks(num: int, size: int, lam: float, rng: np.random.Generator):
    """CutMix boxes as masks, with mmpretrain's box sampling; returns the
    masks (N, 2, H, W) and the corrected λ of each (N, )."""
    cutmix = CutMix(alpha=1.0, correct_lam=True)
    masks = torch.zeros(num, 2, size, size)
    lams = torch.zeros(num)
    for i in range(num):
        np.random.seed(int(rng.integers(2**31)))
        (y1, y2, x1, x2), lam_i = cutmix.cutmix_bbox_and_lam(
            (size, size), lam)
        masks[i, 0] = 1.
        masks[i, 0, y1:y2, x1:x2] = 0.
        lams[i] = lam_i
    masks[:, 1] = 1 - masks[:, 0]
    return masks, lams


def augment_masks(inputs: torch.Tensor, pair: torch.Tensor, lam: float):
    """Masks (N, 2, H, W) and label weights of a (N, ) of the FMix, GridMix
    and SaliencyMix batch augments for the pairs ``(i, pair[i])``."""
    num, size = inputs.size(0), tuple(inputs.shape[-2:])
    out = {}
    for name, mask in (
            ('fmix', FMix(alpha=0.2).make_mask(num, size, lam)),
            ('gridmix', GridMix(alpha=0.2).make_mask(num, size, lam, 4))):
        out[name] = (torch.cat([mask, 1 - mask], dim=1),
                     mask.mean(dim=(1, 2, 3)))
    y1, y2, x1, x2 = SaliencyMix(alpha=0.2).saliency_boxes(inputs[pair], lam)
    mask = torch.ones(num, 1, *size)
    for i in range(num):  # the partner's salient box replaces a's pixels
        mask[i, 0, y1[i]:y2[i], x1[i]:x2[i]] = 0.
    out['saliencymix'] = (torch.cat([mask, 1 - mask], dim=1),
                          mask.mean(dim=(1, 2, 3)))
    return out


def puzzlemix_masks(model, inputs: torch.Tensor, labels: torch.Tensor,
                    pair: torch.Tensor, lam: float, grid: int = None):
    """Masks (N, 2, H, W) and label weights of a (N, ) of a
    ``PuzzleMixClassifier`` for the pairs ``(i, pair[i])``: its saliency of
    ``inputs`` (with ``labels``), its graph-cut masks on a ``grid x grid``
    block grid (None: drawn from the model's ``block_num`` by numpy's
    global generator) and, if it transports, its plans. A transported block
    of a is shown where it lands, so channel 0 is the mask brought back to
    a's own layout (the inverse plan; channel 1 likewise for the partner's
    ``1 - mask``), which is what ``kept`` compares with a's object."""
    scores = torch.nn.functional.one_hot(labels,
                                         model.head.num_classes).float()
    saliency = model.saliency(inputs, scores)
    if grid is None:
        grid = model.block_num[np.random.randint(len(model.block_num))]
    mask, plans = model.puzzle_masks(inputs, saliency, lam, pair, grid)
    size = tuple(inputs.shape[-2:])
    shown = torch.nn.functional.interpolate(mask[:, None], size=size,
                                            mode='nearest')
    own, partner = shown, 1 - shown
    if plans is not None:
        own_plan, partner_plan, t_grid = plans
        own = apply_transport(own, own_plan.argsort(1), t_grid)
        partner = apply_transport(partner, partner_plan.argsort(1), t_grid)
    return torch.cat([own, partner], dim=1), shown.flatten(1).mean(1)


def transmix_masks(model, inputs: torch.Tensor, labels: torch.Tensor,
                   pair: torch.Tensor, lam: float):
    """Masks (N, 2, H, W) and label weights of a (N, ) of a
    ``TransMixClassifier`` for the pairs ``(i, pair[i])``: the CutMix box of
    ``lam`` (mmpretrain's sampling, one box for the batch as in training)
    and the label weight its class attention gives each mixed image
    (``labels`` unused: TransMix's weights do not depend on them)."""
    size = tuple(inputs.shape[-2:])
    box, _ = model.cutmix.cutmix_bbox_and_lam(size, lam)
    box = tuple(int(v) for v in box)
    with torch.no_grad():
        mixed = model.cutmix_images(inputs, box, pair)
        _, attn, grid = model.forward_with_attention(mixed)
        weight = model.attention_lambda(attn, box, size, grid)
    yl, yh, xl, xh = box
    own = torch.ones(inputs.size(0), 1, *size)
    own[..., yl:yh, xl:xh] = 0.
    return torch.cat([own, 1 - own], dim=1), weight


#: Row name and mask function of each classifier that mixes in its step.
CLASSIFIER_MASKS = {
    'PuzzleMixClassifier': ('puzzlemix', puzzlemix_masks),
    'TransMixClassifier': ('transmix', transmix_masks),
}


def evaluate(kept: np.ndarray, weight: np.ndarray) -> dict:
    gap = np.abs(kept - weight)
    erased = (kept < 0.05) & (weight >= 0.25)
    return dict(
        mean_abs_gap=float(gap.mean()),
        corr=float(np.corrcoef(kept, weight)[0, 1]),
        erased_pct=float(100 * erased.sum() / max((weight >= 0.25).sum(),
                                                   1)),
        mean_kept=float(kept.mean()),
        pairs=int(kept.size // 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', required=True,
                        help='config of the SAMix/AutoMix checkpoints')
    parser.add_argument('--model', action='append', default=[],
                        metavar='NAME=CKPT', help='a trained Mixer to test')
    parser.add_argument('--classifier', action='append', default=[],
                        metavar='CONFIG=CKPT',
                        help='a trained PuzzleMix or TransMix classifier')
    parser.add_argument('--num-images', type=int, default=1000)
    parser.add_argument('--batch', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=None, help='JSON result file')
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    ds_cfg = cfg.val_dataloader.dataset
    dataset = SyntheticShapes(
        num_samples=args.num_images, num_classes=ds_cfg.num_classes,
        img_size=ds_cfg.img_size, seed=ds_cfg.seed, test_mode=True)
    models = {}
    for item in args.model:
        name, _, ckpt = item.partition('=')
        if not ckpt:
            parser.error(f'--model takes NAME=CKPT, got {item}')
        models[name] = load_model(args.config, ckpt)
    classifiers = {}
    for item in args.classifier:
        config, _, ckpt = item.partition('=')
        if not ckpt:
            parser.error(f'--classifier takes CONFIG=CKPT, got {item}')
        model = load_model(config, ckpt)
        kind = type(model).__name__
        if kind not in CLASSIFIER_MASKS:
            parser.error(f'--classifier {config}: a {kind}, not one of '
                         f'{sorted(CLASSIFIER_MASKS)}')
        classifiers[CLASSIFIER_MASKS[kind][0]] = model
    preprocessor = next(iter(models.values())).data_preprocessor if models \
        else MODELS.build(dict(type='ClsDataPreprocessor',
                               **cfg.data_preprocessor))
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    kept = {m: [] for m in ['mixup', 'cutmix', 'fmix', 'gridmix',
                            'saliencymix', *models, *classifiers]}
    weight = {m: [] for m in kept}
    for start in range(0, args.num_images, args.batch):
        idx = range(start, min(start + args.batch, args.num_images))
        infos = [dataset.get_data_info(i) for i in idx]
        imgs = torch.stack([
            torch.from_numpy(np.ascontiguousarray(
                d['img'].transpose(2, 0, 1))) for d in infos
        ])
        obj = torch.stack([torch.from_numpy(d['gt_mask']).float()
                           for d in infos])
        num, size = len(infos), imgs.shape[-1]
        inputs = preprocessor(dict(inputs=list(imgs)), False)['inputs']
        pair = torch.from_numpy(rng.permutation(num))
        lam = float(rng.beta(2., 2.))
        masks = {'mixup': (torch.full((num, 2, size, size), lam),
                           torch.full((num, ), lam))}
        masks['mixup'][0][:, 1] = 1 - lam
        masks['cutmix'] = cutmix_masks(num, size, lam, rng)
        masks.update(augment_masks(inputs, pair, lam))
        labels = torch.tensor([d['gt_label'] for d in infos])
        for name, model in classifiers.items():
            mask_fn = CLASSIFIER_MASKS[type(model).__name__][1]
            masks[name] = mask_fn(model, inputs, labels, pair, lam)
        with torch.no_grad():
            for name, model in models.items():
                feat = forward_to_stage(model.backbone_k, inputs,
                                        model.mask_layer)
                masks[name] = (model.mixer(feat, feat[pair], lam,
                                           (size, size)),
                               torch.full((num, ), lam))
        for name, (mask, lam_a) in masks.items():
            area_a = obj.sum(dim=(1, 2))
            area_b = obj[pair].sum(dim=(1, 2))
            kept[name] += [(mask[:, 0] * obj).sum(dim=(1, 2)) / area_a,
                           (mask[:, 1] * obj[pair]).sum(dim=(1, 2)) / area_b]
            weight[name] += [lam_a, 1 - lam_a]
    table = {
        name: evaluate(torch.cat(kept[name]).numpy(),
                       torch.cat(weight[name]).numpy())
        for name in kept
    }
    print(f'{"method":10s} {"mean |kept-w|":>14s} {"corr(kept,w)":>13s} '
          f'{"erased %":>9s} {"mean kept":>10s} {"pairs":>6s}')
    for name, row in table.items():
        print(f'{name:10s} {row["mean_abs_gap"]:14.3f} {row["corr"]:13.3f} '
              f'{row["erased_pct"]:9.2f} {row["mean_kept"]:10.3f} '
              f'{row["pairs"]:6d}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(args=vars(args), table=table), f, indent=1)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
