# Copyright (c) samix_mm contributors. All rights reserved.
"""The pieces of PuzzleMix (Kim et al., ICML 2020, arXiv 2009.06962).

Saliency of the inputs, the graph-cut mask over a grid of blocks and the
greedy transport of blocks inside each image; the classifier that puts them
together is :class:`~samix_mm.models.classifiers.PuzzleMixClassifier`.

Conventions: a mask value is the weight of the sample's OWN image at a
block (1: own image, 0: its partner's); ``index`` is the partner of each
sample; block grids are square, ``grid`` blocks per side.
"""
import math
from typing import Callable, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

#: Added to the label probabilities before their log (the prior term).
PRIOR_EPS = 1e-8
#: Upper bound of the integer energy handed to gco (int32 arithmetic).
ENERGY_BUDGET = 2**28


def _import_gco():
    """``gco`` (PyPI ``gco-wrapper``), imported when a mask is cut."""
    try:
        import gco
    except ImportError:
        raise ImportError('PuzzleMix needs the graph-cut library gco: '
                          'pip install gco-wrapper') from None
    return gco


def input_saliency(loss_fn: Callable[[torch.Tensor], torch.Tensor],
                   inputs: torch.Tensor) -> torch.Tensor:
    """Saliency of every pixel: the gradient of the loss w.r.t. the input.

    The gradient is taken with :func:`torch.autograd.grad` w.r.t. a
    detached copy of ``inputs`` only, so no ``.grad`` of any parameter is
    written. Per pixel it is reduced over the channels by the root mean
    square, as the original code does.

    Args:
        loss_fn (Callable): Maps the images to a scalar loss.
        inputs (Tensor): Images of shape ``(N, C, H, W)``.

    Returns:
        Tensor: Saliency of shape ``(N, H, W)``, no gradient.
    """
    images = inputs.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = loss_fn(images)
        grad, = torch.autograd.grad(loss, images)
    return grad.detach().pow(2).mean(dim=1).sqrt()


def block_saliency(saliency: torch.Tensor, grid: int) -> torch.Tensor:
    """Saliency averaged over a ``grid x grid`` block grid, summing to 1
    per image (an image without any saliency gets zeros).

    Args:
        saliency (Tensor): Pixel saliency of shape ``(N, H, W)``; ``H`` and
            ``W`` divisible by ``grid``.
        grid (int): Blocks per side.

    Returns:
        Tensor: Shape ``(N, grid, grid)``.
    """
    pooled = F.adaptive_avg_pool2d(saliency.unsqueeze(1), grid)[:, 0]
    total = pooled.flatten(1).sum(1).clamp(min=1e-12)
    return pooled / total.view(-1, 1, 1)


def local_discontinuity(
        images: torch.Tensor, index: torch.Tensor, grid: int,
        neigh_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """How much the image content jumps across every block border, for
    each choice of image on both sides (the local statistics term).

    The images are averaged over ``s x s`` cells, ``s = min(neigh_size,
    block side)``; across the border between two blocks the cells touching
    it on one side are compared with those on the other side (mean absolute
    difference over the channels, then over the cells along the border).

    Args:
        images (Tensor): Images ``(N, C, H, W)``, pixel values in [0, 1].
        index (Tensor): Partner of each sample ``(N, )``.
        grid (int): Blocks per side; the block side must be a multiple of
            ``s``.
        neigh_size (int): Cell side in pixels.

    Returns:
        tuple[Tensor]: ``disc_v`` of shape ``(N, 2, 2, grid - 1, grid)``
        (border between blocks ``(i, j)`` and ``(i + 1, j)``) and
        ``disc_h`` of shape ``(N, 2, 2, grid, grid - 1)`` (between
        ``(i, j)`` and ``(i, j + 1)``); ``disc[:, a, b]`` is the jump when
        the upper / left block shows image ``a`` and the other image ``b``
        (0: the partner, 1: the sample's own image).
    """
    block = images.size(-1) // grid
    cell = min(neigh_size, block)
    per_block = block // cell
    pooled = F.avg_pool2d(images, cell)
    shown = (pooled[index], pooled)
    n = images.size(0)
    disc_v = images.new_zeros(n, 2, 2, grid - 1, grid)
    disc_h = images.new_zeros(n, 2, 2, grid, grid - 1)
    for a in (0, 1):
        for b in (0, 1):
            # last cell row of blocks 0..grid-2 against the first of 1..
            above = shown[a][:, :, per_block - 1::per_block][:, :, :grid - 1]
            below = shown[b][:, :, per_block::per_block]
            jump = (above - below).abs().mean(1)
            disc_v[:, a, b] = jump.reshape(n, grid - 1, grid,
                                           per_block).mean(-1)
            left = shown[a][..., per_block - 1::per_block][..., :grid - 1]
            right = shown[b][..., per_block::per_block]
            jump = (left - right).abs().mean(1)
            disc_h[:, a, b] = jump.reshape(n, grid, per_block,
                                           grid - 1).mean(2)
    return disc_v, disc_h


def label_prior(lam: float, n_labels: int) -> np.ndarray:
    """``-log`` probability of each mask level under λ.

    Level ``k / (n_labels - 1)`` is the share of the own image in a block,
    as if it were made of ``n_labels - 1`` parts, each the own image's with
    probability λ: ``P(k) = C(n - 1, k) λ^k (1 - λ)^(n - 1 - k)``, the
    original's prior for 2, 3 and 4 labels.

    Args:
        lam (float): λ in [0, 1].
        n_labels (int): Mask levels, >= 2.

    Returns:
        ndarray: Shape ``(n_labels, )``.
    """
    parts = n_labels - 1
    prob = np.array([
        math.comb(parts, k) * lam**k * (1. - lam)**(parts - k)
        for k in range(n_labels)
    ])
    return -np.log(prob + PRIOR_EPS)


def graphcut_masks(sal_own: torch.Tensor,
                   sal_partner: torch.Tensor,
                   lam: float,
                   beta: float,
                   gamma: float,
                   eta: float,
                   n_labels: int,
                   disc_v: Optional[torch.Tensor] = None,
                   disc_h: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The PuzzleMix mask of every pair, by alpha-beta-swap graph cuts.

    For each image, the block grid gets one of the levels ``m = k /
    (n_labels - 1)`` (the own image's weight) per block, minimising

    * unary: the saliency the level hides, ``m * s_partner + (1 - m) *
      s_own`` (i.e. minus the saliency shown, up to a constant), plus the
      prior ``eta / grid^2 * label_prior(lam)[k]`` that pulls the levels
      toward λ;
    * pairwise, between neighbouring blocks: ``(beta' + c) * (m_p -
      m_q)^2`` with ``beta' = beta / grid / 16`` (the original's
      normalisation) and ``c`` the part of ``gamma * beta' * disc`` (see
      :func:`local_discontinuity`) that depends on the two blocks differing;
      the rest of that 2 x 2 table is exact unary terms of the two blocks.
      Negative weights are set to 0 (gco needs them >= 0).

    The energy is scaled (``1000 * grid^2``, as the original, smaller if
    it would overflow) and rounded to integers for ``gco``.

    Args:
        sal_own (Tensor): Block saliency of each image ``(N, g, g)``.
        sal_partner (Tensor): That of its partner ``(N, g, g)``.
        lam (float): λ of the prior.
        beta (float): Weight of the smoothness between blocks.
        gamma (float): Weight of the local statistics (relative to beta).
        eta (float): Weight of the prior.
        n_labels (int): Number of mask levels, >= 2.
        disc_v (Tensor, optional): Vertical border jumps of
            :func:`local_discontinuity`; None: no local statistics term.
        disc_h (Tensor, optional): Horizontal border jumps.

    Returns:
        Tensor: The masks ``(N, g, g)`` (values in the levels), float32,
        on the device of ``sal_own``.
    """
    gco = _import_gco()
    own = sal_own.detach().double().cpu().numpy()
    partner = sal_partner.detach().double().cpu().numpy()
    num, grid = own.shape[:2]
    beta_n = beta / grid / 16.
    cost_own, cost_partner = partner.copy(), own.copy()
    edge_v = np.full((num, grid - 1, grid), beta_n)
    edge_h = np.full((num, grid, grid - 1), beta_n)
    if disc_v is not None and disc_h is not None and gamma * beta_n > 0:
        for disc, edge, axis in ((disc_v, edge_v, 1), (disc_h, edge_h, 2)):
            w = gamma * beta_n * disc.detach().double().cpu().numpy()
            first = [slice(None)] * 3
            second = [slice(None)] * 3
            first[axis], second[axis] = slice(None, -1), slice(1, None)
            first, second = tuple(first), tuple(second)
            cost_own[first] += (w[:, 1, 0] + w[:, 1, 1]) / 2
            cost_partner[first] += (w[:, 0, 0] + w[:, 0, 1]) / 2
            cost_own[second] += (w[:, 0, 1] + w[:, 1, 1]) / 2
            cost_partner[second] += (w[:, 0, 0] + w[:, 1, 0]) / 2
            edge += (w[:, 0, 1] + w[:, 1, 0] - w[:, 0, 0] - w[:, 1, 1]) / 2
    levels = np.arange(n_labels) / (n_labels - 1)
    prior = eta * label_prior(lam, n_labels) / grid**2
    unary = (levels * cost_own[..., None] +
             (1. - levels) * cost_partner[..., None] + prior)
    steps = np.arange(n_labels)
    label_cost = (steps[:, None] - steps[None, :])**2
    # (m_p - m_q)^2 = label_cost / (n_labels - 1)^2: scale the edges
    edge_v = np.maximum(edge_v, 0.) / (n_labels - 1)**2
    edge_h = np.maximum(edge_h, 0.) / (n_labels - 1)**2
    n_edges = 2 * grid * (grid - 1)
    masks = np.empty((num, grid, grid))
    for i in range(num):
        bound = (np.abs(unary[i]).max() * grid**2 +
                 max(edge_v[i].max(), edge_h[i].max()) *
                 label_cost.max() * n_edges)
        scale = min(1000. * grid**2, ENERGY_BUDGET / max(bound, 1e-12))
        labels = gco.cut_grid_graph(
            np.rint(unary[i] * scale).astype(np.int32),
            label_cost.astype(np.int32),
            np.rint(edge_v[i] * scale).astype(np.int32),
            np.rint(edge_h[i] * scale).astype(np.int32),
            algorithm='swap')
        masks[i] = np.asarray(labels).reshape(grid, grid) / (n_labels - 1)
    return torch.from_numpy(masks).float().to(sal_own.device)


def grid_distance(grid: int, device=None) -> torch.Tensor:
    """Squared distance between the blocks of a grid, divided by
    ``(grid - 1)^2``: the moving cost of the transport.

    Args:
        grid (int): Blocks per side, >= 2.
        device (torch.device, optional): Where to put it.

    Returns:
        Tensor: Shape ``(grid^2, grid^2)``, row-major block order.
    """
    rows, cols = torch.meshgrid(torch.arange(grid), torch.arange(grid),
                                indexing='ij')
    pos = torch.stack([rows.flatten(), cols.flatten()], 1).float()
    dist = (pos[:, None] - pos[None]).pow(2).sum(-1) / (grid - 1)**2
    return dist.to(device)


def transport_plan(mask: torch.Tensor, saliency: torch.Tensor,
                   t_eps: float) -> torch.Tensor:
    """Where each block of an image moves to, so that its salient blocks
    land where the mask shows the image.

    Moving source block ``i`` to destination ``j`` costs ``t_eps *
    dist(i, j) - s_i * [mask_j > 0]`` (:func:`grid_distance`). The plan
    is the original's greedy approximation of the optimal permutation,
    run ``grid`` times: every source picks its cheapest destination; of the
    sources that picked the same destination the cheapest one gets it, and
    the others pay +1 for it at the next round. The winners of the last
    round keep their destination; unlike the original, which leaves the
    destinations nobody won empty (black blocks), the sources still without
    one are then given the free destinations, cheapest pair first, so that
    the plan is a permutation.

    Args:
        mask (Tensor): The mask of the image at the transport grid
            ``(N, g, g)``.
        saliency (Tensor): The image's saliency at that grid ``(N, g, g)``.
        t_eps (float): Weight of the moving distance.

    Returns:
        Tensor: ``(N, g * g)`` long, the source block of every destination
        block (a permutation per image).
    """
    num, grid = mask.shape[:2]
    size = grid * grid
    sal = saliency.reshape(num, size, 1).float()
    visible = (mask.reshape(num, 1, size) > 0).float()
    cost = (t_eps * grid_distance(grid, mask.device)[None] -
            sal * visible)
    sources = torch.arange(size, device=mask.device).view(1, size, 1)
    for _ in range(grid):
        picked = F.one_hot(cost.argmin(-1), size).bool()  # (N, src, dst)
        contest = torch.where(picked, cost, torch.full_like(cost, math.inf))
        winner = contest.argmin(1, keepdim=True)  # (N, 1, dst)
        won = picked & (sources == winner)
        cost = cost + (picked & ~won).float()
    source_of = torch.where(won.any(1), won.float().argmax(1),
                            torch.full((num, size), -1, device=mask.device))
    for i in torch.nonzero((source_of < 0).any(1)).flatten().tolist():
        free_src = torch.nonzero(~won[i].any(1)).flatten()
        free_dst = torch.nonzero(source_of[i] < 0).flatten()
        left = cost[i][free_src][:, free_dst].clone()
        for _ in range(len(free_dst)):
            pos = int(left.argmin())
            r, c = divmod(pos, left.size(1))
            source_of[i, free_dst[c]] = free_src[r]
            left[r, :] = math.inf
            left[:, c] = math.inf
    return source_of


def apply_transport(images: torch.Tensor, source_of: torch.Tensor,
                    grid: int) -> torch.Tensor:
    """Move the blocks of every image by its plan.

    Args:
        images (Tensor): ``(N, C, H, W)``, ``H`` and ``W`` divisible by
            ``grid``.
        source_of (Tensor): ``(N, grid^2)``, the source block of every
            destination block (:func:`transport_plan`).
        grid (int): Blocks per side.

    Returns:
        Tensor: The images with block ``j`` replaced by block
        ``source_of[:, j]``.
    """
    n, c, h, w = images.shape
    bh, bw = h // grid, w // grid
    blocks = images.reshape(n, c, grid, bh, grid, bw).permute(
        0, 2, 4, 1, 3, 5).reshape(n, grid * grid, c, bh, bw)
    picked = blocks.gather(
        1, source_of.view(n, -1, 1, 1, 1).expand(-1, -1, c, bh, bw))
    return picked.reshape(n, grid, grid, c, bh, bw).permute(
        0, 3, 1, 4, 2, 5).reshape(n, c, h, w)
