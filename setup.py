# Copyright (c) samix_mm contributors. All rights reserved.
"""Install samix_mm. The pinned stack (torch, mmcv with ops, ...) is installed
by ``make venv`` (tools/install/setup_venv.sh); ``pip install -e .`` inside
that venv adds samix_mm itself."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def parse_requirements(fname: str) -> list:
    """Read package names from a requirements file, skipping comments."""
    with open(osp.join(HERE, fname)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'samix_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


setup(
    name='samix_mm',
    version=get_version(),
    description='SAMix (Scenario-Agnostic Mixup) for OpenMMLab 2.x',
    long_description=open(osp.join(HERE, 'README.md')).read()
    if osp.exists(osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
    python_requires='>=3.8',
    install_requires=parse_requirements('requirements/runtime.txt') +
    parse_requirements('requirements/mminstall.txt'),
    extras_require={
        'detection': parse_requirements('requirements/detection.txt'),
        'optional': parse_requirements('requirements/optional.txt'),
        'tests': parse_requirements('requirements/tests.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False)
