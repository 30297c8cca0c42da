# Copyright (c) samix_mm contributors. All rights reserved.
"""k-means pseudo-labels for SAMix-C."""
import torch
from mmengine.dist import (all_gather_object, broadcast_object_list,
                           is_main_process)
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from samix_mm.models.utils.cluster_ops import (inverse_frequency_weights,
                                               kmeans, pca_whiten)
from samix_mm.registry import HOOKS


@HOOKS.register_module()
class ClusterPseudoLabelHook(Hook):
    """DeepCluster pseudo-classes for SAMix-C, re-computed every N epochs.

    Before every ``interval``-th training epoch (and whenever the model has
    no labels, e.g. after resuming), the average-pooled last-stage features
    of the ONLINE encoder (``model.cluster_feat``) of the whole training
    set are extracted with ``dataloader`` (the training dataset with a
    deterministic pipeline, so that ``sample_idx`` matches). On rank 0 they
    are PCA-reduced to ``pca_dim``, whitened and L2-normalised
    (:func:`pca_whiten`) and clustered by k-means (k = the
    ``num_clusters`` of :class:`ClusterMixLoss`); the labels are broadcast
    and, with the class weights ``∝ count^-reweight_pow`` (summing to 1,
    :func:`inverse_frequency_weights`) when ``reweight``, given to
    ``model.mixer_loss.set_pseudo_labels``. This is the reference's
    DeepCluster hook for SAMix-C (docs/algorithm.md, "SAMix-C"), torch
    only, no faiss.

    Args:
        dataloader (dict): Dataloader config over the training images.
        interval (int): Re-cluster every this many epochs. Defaults to 1.
        num_iters (int): k-means iterations. Defaults to 20.
        seed (int): k-means seed (plus the epoch). Defaults to 0.
        pca_dim (int): PCA dimension before k-means; -1 = no PCA (L2
            normalisation only). Defaults to 256.
        reweight (bool): Re-weight the classification losses by inverse
            cluster frequency. Defaults to True.
        reweight_pow (float): Exponent of the re-weighting.
            Defaults to 0.5.
    """

    priority = 'NORMAL'

    def __init__(self,
                 dataloader: dict,
                 interval: int = 1,
                 num_iters: int = 20,
                 seed: int = 0,
                 pca_dim: int = 256,
                 reweight: bool = True,
                 reweight_pow: float = 0.5):
        if interval < 1 or num_iters < 1:
            raise ValueError('interval and num_iters must be >= 1, got '
                             f'{interval} and {num_iters}')
        if pca_dim == 0 or pca_dim < -1:
            raise ValueError(f'pca_dim must be > 0 or -1 (no PCA), got '
                             f'{pca_dim}')
        self.dataloader_cfg = dataloader
        self.interval = interval
        self.num_iters = num_iters
        self.seed = seed
        self.pca_dim = pca_dim
        self.reweight = reweight
        self.reweight_pow = reweight_pow
        self._loader = None

    @staticmethod
    def _model(runner):
        model = get_ori_model(runner.model)
        target = getattr(model, 'mixer_loss', None)
        if not hasattr(target, 'set_pseudo_labels') or not hasattr(
                model, 'cluster_feat'):
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
        num_clusters = model.mixer_loss.num_clusters
        if is_main_process():  # on the model's device (GPU if any)
            device = next(model.parameters()).device
            feats = pca_whiten(feats.to(device), self.pca_dim)
            labels[0] = kmeans(feats, num_clusters, self.num_iters,
                               self.seed + runner.epoch).cpu()
        broadcast_object_list(labels, src=0)
        weight = inverse_frequency_weights(
            labels[0], num_clusters, self.reweight_pow) \
            if self.reweight else None
        model.mixer_loss.set_pseudo_labels(labels[0], weight)
        sizes = torch.bincount(labels[0], minlength=num_clusters)
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
            feats.append(model.cluster_feat(data['inputs']).cpu())
            ids.extend(int(s.sample_idx) for s in data['data_samples'])
        model.train(was_training)
        parts = all_gather_object((ids, torch.cat(feats)))
        out = torch.zeros(num, parts[0][1].size(1))
        for part_ids, part_feats in parts:
            out[torch.tensor(part_ids)] = part_feats
        return out
