# Copyright (c) samix_mm contributors. All rights reserved.
"""k-means pseudo-labels for SAMix-C."""
import torch
from mmengine.dist import (all_gather_object, broadcast_object_list,
                           is_main_process)
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from samix_mm.registry import HOOKS


def _init_centres(feats: torch.Tensor, num_clusters: int,
                  gen: torch.Generator) -> torch.Tensor:
    """k-means++ seeding: each new centre drawn with probability ~ D²."""
    device = feats.device
    first = int(torch.randint(feats.size(0), (1, ), generator=gen,
                              device=device))
    centres = [feats[first]]
    dist = (feats - centres[0]).pow(2).sum(1)
    for _ in range(1, num_clusters):
        if float(dist.sum()) > 0:
            pick = int(torch.multinomial(dist, 1, generator=gen))
        else:  # fewer distinct points than clusters
            pick = int(torch.randint(feats.size(0), (1, ), generator=gen,
                                     device=device))
        centres.append(feats[pick])
        dist = torch.minimum(dist, (feats - feats[pick]).pow(2).sum(1))
    return torch.stack(centres)


def kmeans(feats: torch.Tensor,
           num_clusters: int,
           num_iters: int = 20,
           seed: int = 0,
           chunk: int = 65536) -> torch.Tensor:
    """Lloyd's k-means (squared Euclidean) with k-means++ seeding.

    A cluster that runs empty is restarted at the sample farthest from its
    centre.

    Args:
        feats (Tensor): ``(N, D)`` features, N >= ``num_clusters``.
        num_clusters (int): Number of clusters k.
        num_iters (int): Lloyd iterations. Defaults to 20.
        seed (int): Seed of the seeding. Defaults to 0.
        chunk (int): Rows per distance block (bounds memory).
            Defaults to 65536.

    Returns:
        Tensor: ``(N, )`` long cluster ids in ``[0, k)``.
    """
    feats = feats.float()
    num = feats.size(0)
    if num < num_clusters:
        raise ValueError(f'k-means needs at least num_clusters='
                         f'{num_clusters} samples, got {num}')
    gen = torch.Generator(device=feats.device).manual_seed(seed)
    centres = _init_centres(feats, num_clusters, gen)

    def assign(centres):
        labels, dists = [], []
        for block in feats.split(chunk):
            best = torch.cdist(block, centres).min(dim=1)
            labels.append(best.indices)
            dists.append(best.values)
        return torch.cat(labels), torch.cat(dists)

    for _ in range(num_iters):
        labels, dists = assign(centres)
        counts = torch.bincount(labels, minlength=num_clusters)
        sums = torch.zeros_like(centres).index_add_(0, labels, feats)
        centres = sums / counts.clamp(min=1)[:, None]
        for empty in torch.nonzero(counts == 0).flatten().tolist():
            far = int(dists.argmax())
            centres[empty] = feats[far]
            dists[far] = -1.
    return assign(centres)[0]


@HOOKS.register_module()
class ClusterPseudoLabelHook(Hook):
    """Cluster the momentum features into pseudo-classes every N epochs.

    Before every ``interval``-th training epoch (and whenever the model has
    no labels, e.g. after resuming), the momentum keys of the whole
    training set are extracted with ``dataloader`` (the training dataset
    with a deterministic pipeline, so that ``sample_idx`` matches), k-means
    runs on rank 0 and the labels are broadcast to every process and given
    to ``model.mixer_loss.set_pseudo_labels`` (:class:`ClusterMixLoss`,
    k = its ``num_clusters``). Torch only, no faiss.

    Args:
        dataloader (dict): Dataloader config over the training images.
        interval (int): Re-cluster every this many epochs. Defaults to 1.
        num_iters (int): k-means iterations. Defaults to 20.
        seed (int): k-means seed (plus the epoch). Defaults to 0.
    """

    priority = 'NORMAL'

    def __init__(self,
                 dataloader: dict,
                 interval: int = 1,
                 num_iters: int = 20,
                 seed: int = 0):
        if interval < 1 or num_iters < 1:
            raise ValueError('interval and num_iters must be >= 1, got '
                             f'{interval} and {num_iters}')
        self.dataloader_cfg = dataloader
        self.interval = interval
        self.num_iters = num_iters
        self.seed = seed
        self._loader = None

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        target = getattr(model, 'mixer_loss', None)
        if not hasattr(target, 'set_pseudo_labels') or not hasattr(
                model, 'momentum_feat'):
            raise TypeError('ClusterPseudoLabelHook needs a SAMixMoCo with '
                            "mixer_loss=dict(type='ClusterMixLoss', ...); "
                            f'got {type(model).__name__}')
        return model

    def before_train_epoch(self, runner) -> None:
        model = self._model(runner)
        if runner.epoch % self.interval and \
                model.mixer_loss.pseudo_labels is not None:
            return
        if self._loader is None:
            self._loader = runner.build_dataloader(self.dataloader_cfg)
        num = len(self._loader.dataset)
        if num != len(runner.train_dataloader.dataset):
            raise ValueError(
                f'ClusterPseudoLabelHook: its dataset has {num} samples, the '
                f'training set {len(runner.train_dataloader.dataset)}; use '
                'the training dataset with a test pipeline')
        feats = self._extract(model, num)
        labels: list = [None]
        if is_main_process():  # on the model's device (GPU if any)
            device = next(model.parameters()).device
            labels[0] = kmeans(feats.to(device),
                               model.mixer_loss.num_clusters, self.num_iters,
                               self.seed + runner.epoch).cpu()
        broadcast_object_list(labels, src=0)
        model.mixer_loss.set_pseudo_labels(labels[0])
        sizes = torch.bincount(labels[0], minlength=model.mixer_loss
                               .num_clusters)
        runner.logger.info(
            f'pseudo-labels: {int((sizes > 0).sum())} non-empty clusters, '
            f'largest {int(sizes.max())} of {num} samples')

    @torch.no_grad()
    def _extract(self, model, num: int) -> torch.Tensor:
        """Features of every sample (rank 0: all of them, in index order)."""
        was_training = model.training
        model.eval()
        ids, feats = [], []
        for data in self._loader:
            data = model.data_preprocessor(data, False)
            feats.append(model.momentum_feat(data['inputs']).cpu())
            ids.extend(int(s.sample_idx) for s in data['data_samples'])
        model.train(was_training)
        parts = all_gather_object((ids, torch.cat(feats)))
        out = torch.zeros(num, parts[0][1].size(1))
        for part_ids, part_feats in parts:
            out[torch.tensor(part_ids)] = part_feats
        return out
