# Copyright (c) samix_mm contributors. All rights reserved.
"""Pure helpers of the Mixer: λ rescaling, mask-area adjustment and the
constant mask for a λ near 0 or 1."""
import torch

#: Largest k accepted by :func:`rescale_lam`; larger values are clipped.
MAX_LAM_K = 10.
#: Clamp of the per-sample mask mean in :func:`adjust_mask_area`.
AREA_EPS = 1e-8


def _check_lam(lam: float) -> float:
    lam = float(lam)
    if not 0. <= lam <= 1.:
        raise ValueError(f'lam must be in [0, 1], got {lam}')
    return lam


def rescale_lam(lam: float, k: float) -> float:
    """Rescale the mixing ratio λ with the cubic SAMix curve.

    With ``κ = min(k, 10) + 1``:

    .. math::
        λ' = \\frac{\\frac{4}{3}λ^3 - 2λ^2 + κλ}{κ - \\frac{2}{3}}

    The curve keeps 0, 0.5 and 1 fixed and is point-symmetric about 0.5; a
    small k pulls λ towards 0.5 (k = 0.25 maps 0.2 to about 0.31), a large
    k approaches the identity.

    Args:
        lam (float): The ratio λ in [0, 1].
        k (float): Strength of the rescaling; ``k < 0`` disables it. Values
            above 10 are clipped to 10.

    Returns:
        float: The rescaled λ' in [0, 1] (``lam`` itself when ``k < 0``).
    """
    lam = _check_lam(lam)
    if k < 0:
        return lam
    kappa = min(float(k), MAX_LAM_K) + 1.
    cubic = 4. / 3. * lam**3 - 2. * lam**2 + kappa * lam
    return cubic / (kappa - 2. / 3.)


def adjust_mask_area(mask: torch.Tensor, lam: float) -> torch.Tensor:
    """Rescale each sample's mask so that its λ-side area is exactly λ.

    Per sample i, let μ_i be the mean of ``mask[i, 0]`` (clamped to
    ``[1e-8, 1 - 1e-8]``). If μ_i > λ the λ side is shrunk,
    ``m0 ← m0 · λ / μ_i``; if μ_i < λ the partner side is shrunk,
    ``m1 ← (1 - m0) · (1 - λ) / (1 - μ_i)``. The other channel is always
    the complement, so both stay in [0, 1] and sum to 1.

    Args:
        mask (Tensor): Mask of shape ``(N, 2, H, W)``; channel 0 weighs the
            λ sample, channel 1 its partner.
        lam (float): Target area of channel 0, in [0, 1].

    Returns:
        Tensor: The adjusted mask, shape ``(N, 2, H, W)``, a new tensor.
    """
    lam = _check_lam(lam)
    if mask.dim() != 4 or mask.size(1) != 2:
        raise ValueError('mask must have shape (N, 2, H, W), got '
                         f'{tuple(mask.shape)}')
    m_a = mask[:, 0:1]
    mean_a = m_a.mean(dim=(1, 2, 3),
                      keepdim=True).clamp(AREA_EPS, 1. - AREA_EPS)
    shrink_a = m_a * (lam / mean_a)
    shrink_b = (1. - m_a) * ((1. - lam) / (1. - mean_a))
    new_a = torch.where(mean_a > lam, shrink_a, m_a)
    new_a = torch.where(mean_a < lam, 1. - shrink_b, new_a)
    return torch.cat([new_a, 1. - new_a], dim=1)


def check_lam_margin(lam_margin: float) -> float:
    """Return ``lam_margin`` as a float if it is in [0, 0.5).

    Args:
        lam_margin (float): The margin of :func:`in_lam_margin`.

    Returns:
        float: ``lam_margin``.
    """
    if not 0 <= lam_margin < 0.5:
        raise ValueError(f'lam_margin must be in [0, 0.5), got {lam_margin}')
    return float(lam_margin)


def in_lam_margin(lam: float, lam_margin: float) -> bool:
    """Whether λ or 1 - λ is at most ``lam_margin``.

    A learned mask for such a λ would be almost all one image; the original
    code then mixes with the constant mask (vanilla mixup) instead.

    Args:
        lam (float): The mixing ratio λ.
        lam_margin (float): The margin, in [0, 0.5).

    Returns:
        bool: True if the constant mask is to be used.
    """
    return lam <= lam_margin or 1 - lam <= lam_margin


def constant_mask(like: torch.Tensor, lam: float) -> torch.Tensor:
    """The constant mask ``(λ, 1 - λ)`` of vanilla mixup.

    Args:
        like (Tensor): A tensor of the mask's shape ``(N, 2, H, W)``, dtype
            and device (its values are not used).
        lam (float): The mixing ratio λ.

    Returns:
        Tensor: A new mask with channel 0 = λ and channel 1 = 1 - λ.
    """
    mask = torch.empty_like(like)
    mask[:, 0] = lam
    mask[:, 1] = 1 - lam
    return mask
