# Copyright (c) samix_mm contributors. All rights reserved.
"""What every tool does with its config before building the Runner."""
import os.path as osp
import sys
from typing import Callable, Optional

from mmengine.config import Config
from mmengine.runner import Runner

from samix_mm.registry import RUNNERS


#: Top-level config variables that mmengine substitutes while it reads the
#: file (so ``--cfg-options`` cannot reach their copies), with the
#: environment variable the configs read them from.
PARSE_TIME_VARIABLES = dict(data_root='DATA_ROOT', pretrained='PRETRAINED')


def merge_cfg_options(cfg: Config, options: Optional[dict]) -> None:
    """Merge ``--cfg-options`` into ``cfg``, refusing keys that would do
    nothing.

    ``data_root`` and ``pretrained`` are copied into the dataloaders and
    the backbone when the config file is read; overriding the top-level
    variable afterwards changes nothing, so it is refused with the
    environment variable that does work.

    Args:
        cfg (Config): The config to update in place.
        options (dict, optional): The parsed ``--cfg-options``.

    Raises:
        ValueError: A key in :data:`PARSE_TIME_VARIABLES`.
    """
    if not options:
        return
    for key, env in PARSE_TIME_VARIABLES.items():
        if key in options:
            raise ValueError(
                f'--cfg-options {key}=... has no effect: the config copies '
                f'{key} where it is used when the file is read; run '
                f'{env}={options[key]} python tools/... instead')
    cfg.merge_from_dict(options)


def set_work_dir(cfg: Config, work_dir: Optional[str],
                 config_file: str) -> None:
    """``cfg.work_dir``: ``work_dir`` > the config's > ``./work_dirs/<name>``.

    Args:
        cfg (Config): The config to update in place.
        work_dir (str, optional): The ``--work-dir`` argument.
        config_file (str): The config's path, whose name names the default.
    """
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_file))[0])


def load_config(args, merge: Callable[[Config, object], Config]) -> Config:
    """The tool's config: ``args.config`` read and ``merge``'d with the
    command line; a bad argument exits with one line.

    Args:
        args (argparse.Namespace): The parsed command line (``config``).
        merge (callable): The tool's ``merge_args(cfg, args)``; it raises
            ValueError or FileNotFoundError on a bad argument.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(args.config)
    try:
        return merge(cfg, args)
    except (ValueError, FileNotFoundError) as error:
        sys.exit(f'error: {error}')


def build_runner(cfg: Config) -> Runner:
    """The Runner the tools build: ``cfg.runner_type`` if set, else
    mmengine's; it gives the model the config's top-level
    ``data_preprocessor`` unless ``model`` sets its own."""
    return RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)
