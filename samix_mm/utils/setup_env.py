# Copyright (c) samix_mm contributors. All rights reserved.
"""Registration of every samix_mm module and the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every samix_mm module so that it lands in the registries.

    mmpretrain's modules are registered too, since our registries are its
    children and fall back to it.

    Args:
        init_default_scope (bool): Whether to make ``samix_mm`` the default
            scope. When another scope is current, a new ``samix_mm`` scope
            instance is created and made current. Defaults to True.
    """
    from mmpretrain.utils import register_all_modules as mmpre_register
    mmpre_register(init_default_scope=False)

    import samix_mm.datasets  # noqa: F401,F403
    import samix_mm.engine  # noqa: F401,F403
    import samix_mm.evaluation  # noqa: F401,F403
    import samix_mm.models  # noqa: F401,F403
    import samix_mm.visualization  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('samix_mm', scope_name='samix_mm')
    elif current.scope_name != 'samix_mm':
        warnings.warn(f'The current default scope "{current.scope_name}" '
                      'is not "samix_mm"; `register_all_modules` makes a '
                      'new default scope "samix_mm".')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'samix_mm-{stamp}', scope_name='samix_mm')
