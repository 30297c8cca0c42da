# Copyright (c) samix_mm contributors. All rights reserved.
"""The commands of README.md, configs/**/README.md and docs/*.md run as
written.

Every document is read top to bottom, as a user would run it. Each line of
a shell code block is a command, and each command

* calls something that exists: a script of the repository (or mmpretrain's
  ``get_flops.py``), a ``make`` target, ``source``;
* parses: the argparse parser of the tool it calls accepts its arguments
  (the ``tools/*.sh`` launchers: the arguments they pass on to
  ``tools/train.py`` / ``tools/test.py``); a synopsis line
  (``CONFIG [--work-dir DIR]``) names only options the tool has;
* builds, without training: its config is loaded with the command's
  environment (``DATA_ROOT``, ``PRETRAINED``) and ``--cfg-options``, the
  model is built, the built-in SyntheticShapes datasets are built on 4
  images; a data root the command sets reaches every dataset of every
  dataloader and hook (and the evaluators' annotation files), a backbone it
  sets reaches every ``Pretrained`` init_cfg;
* reads under ``work_dirs/`` and ``data/synthetic_*`` only what an earlier
  command of the same document writes (not what a local work_dirs/ happens
  to hold): a checkpoint ``work_dirs/X/epoch_N.pth`` (or ``iter_N``) comes
  from a training into ``work_dirs/X`` (given by ``--work-dir``, or the
  default work dir of the config named X) that saves checkpoint N; a
  converted backbone, a Mixer file or a generated detection set from the
  command that writes it.

Real datasets are not needed: their configs are checked for where they
read the data from, not read.
"""
import argparse
import ast
import contextlib
import copy
import glob
import io
import os
import os.path as osp
import re
import runpy
import shlex
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple
from unittest import mock

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from modelindex.load_model_index import load as load_model_index

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOCS = (['README.md'] + sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '**', 'README.md'),
                       recursive=True)) +
        sorted(osp.relpath(p, ROOT)
               for p in glob.glob(osp.join(ROOT, 'docs', '*.md'))))
SHELL = ('bash', 'shell', 'sh', 'console')
PYTHONS = ('python', 'python3', '.venv/bin/python')
#: Environment variables the configs read their paths from.
PATH_VARS = ('DATA_ROOT', 'PRETRAINED')
#: The launchers: the tool they run and the arguments they pass on to it.
LAUNCHERS = {
    'tools/dist_train.sh': ('tools/train.py', lambda a: a[:1] + a[2:]),
    'tools/dist_test.sh': ('tools/test.py', lambda a: a[:2] + a[3:]),
    'tools/slurm_train.sh':
    ('tools/train.py', lambda a: [a[2], '--work-dir', a[3]] + a[4:]),
    'tools/slurm_test.sh': ('tools/test.py', lambda a: a[2:4] + a[4:]),
}
PLACEHOLDER = re.compile(r'^[A-Z][A-Z0-9_]*$')
CHECKPOINT = re.compile(r'^(?P<dir>.+)/(?P<kind>epoch|iter)_(?P<n>\d+)\.pth$')


def _model_names() -> Dict[str, str]:
    """Name -> config of model-index.yml, through the metafiles it
    imports."""
    index = load_model_index(osp.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    return {m.name: m.config for m in index.models}


MODEL_NAMES = _model_names()


@dataclass
class Command:
    """One command of a document."""
    doc: str
    line: int
    text: str
    env: Dict[str, str]
    argv: List[str]

    def where(self) -> str:
        return f'{self.doc}:{self.line}: `{self.text}`'


@dataclass
class DocState:
    """What the commands of a document have made so far."""
    #: work dir -> (config, --cfg-options, environment) of its training
    trained: Dict[str, Tuple[str, dict, dict]] = field(default_factory=dict)
    #: files and folders written (normalised relative paths)
    written: set = field(default_factory=set)


def norm(path: str) -> str:
    return osp.normpath(path).rstrip('/')


def code_blocks(text: str) -> Iterator[Tuple[str, int, List[str]]]:
    """(language, line number of the first line, lines) of each fenced
    code block."""
    fence, lang, start, lines = None, '', 0, []
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if fence is None:
            opening = re.match(r'(`{3,}|~{3,})\s*([\w+-]*)', stripped)
            if opening:
                fence, lang = opening.group(1), opening.group(2).lower()
                start, lines = no + 1, []
        elif stripped.startswith(fence) and not stripped.strip(fence[0]):
            yield lang, start, lines
            fence = None
        else:
            lines.append(line)


def commands_of(text: str, doc: str) -> List[Command]:
    """The commands of the shell code blocks of a Markdown text."""
    commands = []
    for lang, start, lines in code_blocks(text):
        if lang not in SHELL:
            continue
        buf, first = '', None
        for i, line in enumerate(lines):
            first = start + i if first is None else first
            if line.rstrip().endswith('\\'):
                buf += line.rstrip()[:-1] + ' '
                continue
            buf += line
            tokens = shlex.split(buf, comments=True)
            text_, no, buf, first = ' '.join(buf.split()), first, '', None
            env = {}
            while tokens and re.match(r'^[A-Za-z_]\w*=', tokens[0]):
                key, value = tokens.pop(0).split('=', 1)
                env[key] = value
            if tokens:
                commands.append(Command(doc, no, text_.split(' #')[0], env,
                                        tokens))
    return commands


class _CaughtParser(Exception):

    def __init__(self, parser: argparse.ArgumentParser):
        self.parser = parser


_PARSERS: Dict[str, argparse.ArgumentParser] = {}
_ORIGINAL_PARSE = argparse.ArgumentParser.parse_args


def tool_parser(script: str) -> argparse.ArgumentParser:
    """The parser a script builds, caught when the script parses."""
    if script not in _PARSERS:

        def catch(self, *args, **kwargs):
            raise _CaughtParser(self)

        argv = sys.argv
        sys.argv = [script]
        try:
            with mock.patch.object(argparse.ArgumentParser, 'parse_args',
                                   catch):
                runpy.run_path(script, run_name='__main__')
        except _CaughtParser as caught:
            _PARSERS[script] = caught.parser
        finally:
            sys.argv = argv
        assert script in _PARSERS, f'{script} parses no arguments'
    return _PARSERS[script]


def parse(script: str, args: List[str]) -> Tuple[object, str]:
    """(namespace, '') or (None, argparse's error)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return _ORIGINAL_PARSE(tool_parser(script), args), ''
    except SystemExit:
        return None, err.getvalue().strip().splitlines()[-1]


def script_path(path: str) -> str:
    """A script's file; the venv's site-packages is this interpreter's."""
    site = re.match(r'\.venv/lib/python3\.\d+/site-packages/(.*)', path)
    if site:
        return osp.join(sysconfig.get_paths()['purelib'], site.group(1))
    return osp.join(ROOT, path)


@contextlib.contextmanager
def environment(env: Dict[str, str]):
    """The command's DATA_ROOT and PRETRAINED, and no others."""
    saved = {k: os.environ.get(k) for k in PATH_VARS}
    try:
        for key in PATH_VARS:
            os.environ.pop(key, None)
            if key in env:
                os.environ[key] = env[key]
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value


_CONFIGS: Dict[tuple, Config] = {}


def load_config(path: str, options: Optional[dict], env: dict) -> Config:
    """The config as the tools see it: environment, then --cfg-options."""
    key = (path, repr(sorted((options or {}).items())),
           repr(sorted((k, v) for k, v in env.items() if k in PATH_VARS)))
    if key not in _CONFIGS:
        with environment(env):
            cfg = Config.fromfile(osp.join(ROOT, path))
        if options:
            cfg.merge_from_dict(options)
        _CONFIGS[key] = cfg
    return copy.deepcopy(_CONFIGS[key])


def find_key(obj, key: str) -> Iterator[object]:
    """Every value of ``key`` in nested dicts and lists."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                yield v
            yield from find_key(v, key)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from find_key(v, key)


def pretrained_inits(model_cfg: dict) -> List[dict]:
    return [
        init for inits in find_key(model_cfg, 'init_cfg')
        for init in (inits if isinstance(inits, list) else [inits])
        if isinstance(init, dict) and init.get('type') == 'Pretrained'
    ]


def datasets_of(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """(where, dataset config) of every leaf dataset of every dataloader
    and of every hook with a dataloader."""

    def walk(where, dataset):
        if 'datasets' in dataset:
            for i, child in enumerate(dataset['datasets']):
                yield from walk(f'{where}.datasets[{i}]', child)
        elif 'dataset' in dataset:
            yield from walk(f'{where}.dataset', dataset['dataset'])
        else:
            yield where, dataset

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            yield from walk(f'{key}.dataset', cfg[key]['dataset'])
    for i, hook in enumerate(cfg.get('custom_hooks', [])):
        if hook.get('dataloader'):
            yield from walk(f'custom_hooks[{i}].dataloader.dataset',
                            hook['dataloader']['dataset'])


_BUILT: Dict[str, List[str]] = {}


def build_tiny_dataset(dataset: dict) -> List[str]:
    """Build a built-in dataset on 4 images and read one; the errors."""
    key = repr(dataset)
    if key not in _BUILT:
        from samix_mm.registry import DATASETS
        with DefaultScope.overwrite_default_scope('samix_mm'):
            tiny = DATASETS.build(dict(dataset, num_samples=4))
        inputs = tiny[0]['inputs']  # a list of views for MoCo
        _BUILT[key] = [
            f'gives inputs of {tuple(view.shape)}'
            for view in (inputs if isinstance(inputs, list) else [inputs])
            if view.shape[0] != 3
        ]
    return _BUILT[key]


_MODELS: Dict[str, str] = {}


def build_model(cfg: Config) -> str:
    """Build the model the Runner would build; '' or the error."""
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    key = repr(model_cfg)
    if key not in _MODELS:
        from mmengine.registry import MODELS
        scope = cfg.get('default_scope', 'samix_mm')
        if scope == 'mmdet':
            from mmdet.utils import register_all_modules
        else:
            from samix_mm.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        try:
            with DefaultScope.overwrite_default_scope(scope):
                MODELS.build(model_cfg)
            _MODELS[key] = ''
        except Exception as exc:  # noqa: BLE001 - reported as the result
            _MODELS[key] = f'the model does not build: {exc!r}'[:300]
    return _MODELS[key]


def check_reads(path: str, state: DocState, what: str) -> List[str]:
    """A file under work_dirs/ (or a generated set under data/synthetic_)
    that a command reads is written by an earlier command."""
    path = norm(path)
    generated = path.startswith('work_dirs/') or path.startswith(
        'data/synthetic_')
    # (what a local work_dirs/ or data/ happens to hold does not count)
    if not generated or path in state.written:
        return []
    found = CHECKPOINT.match(path)
    if found is None:
        return [f'{what} {path}: no earlier command writes it']
    work_dir = found['dir']
    if work_dir in state.trained:
        config, options, env = state.trained[work_dir]
    else:
        stem = osp.basename(work_dir)
        named = glob.glob(
            osp.join(ROOT, 'configs', '**', stem + '.py'), recursive=True)
        if work_dir != f'work_dirs/{stem}' or not named:
            return [f'{what} {path}: no earlier command trains into '
                    f'{work_dir}']
        config, options, env = osp.relpath(named[0], ROOT), {}, {}
    cfg = load_config(config, options, env)
    hook = cfg.default_hooks.checkpoint
    by_epoch = hook.get('by_epoch', True)
    last = cfg.train_cfg.get('max_epochs' if by_epoch else 'max_iters')
    n = int(found['n'])
    saved = (found['kind'] == 'epoch') == by_epoch and last is not None and (
        n == last or (n < last and n % hook.get('interval', 1) == 0))
    if not saved:
        return [f'{what} {path}: {config} does not save it (checkpoints: '
                f"{'epoch' if by_epoch else 'iter'} every "
                f"{hook.get('interval', 1)} up to {last})"]
    return []


def check_config(cmd: Command, tool: str, args, state: DocState
                 ) -> List[str]:
    """Dry run of a command that reads a config."""
    import samix_mm  # noqa: F401  (registries, model-index names)
    config = args.config
    if tool == 'demo/image_demo.py' and config in MODEL_NAMES:
        config = MODEL_NAMES[config]
    if not osp.isfile(osp.join(ROOT, config)):
        return [f'config {config} does not exist']
    options = dict(getattr(args, 'cfg_options', None) or {})
    cfg = load_config(config, options, cmd.env)
    errors = []

    # the model builds (SAMix^P: its Mixer file comes from an earlier step)
    mixer_files = list(find_key(cfg.model, 'mixer_file'))
    for mixer_file in mixer_files:
        errors += check_reads(mixer_file, state, 'the Mixer file')
    if not mixer_files:
        error = build_model(cfg)
        errors += [error] if error else []

    # the data: built-in sets build, real ones are read from the root set
    expected = cmd.env.get('DATA_ROOT', options.get('data_root'))
    for where, dataset in datasets_of(cfg):
        if dataset.get('type') == 'SyntheticShapes':
            errors += [f'{where} {e}' for e in build_tiny_dataset(dataset)]
            continue
        root = dataset.get('data_root')
        if expected is not None and norm(root or '') != norm(expected):
            errors.append(f'{where}.data_root is {root!r}, not the '
                          f'{expected!r} the command sets')
        elif not root:
            errors.append(f'{where} has no data_root')
        elif expected is None and 'synthetic' in osp.basename(config):
            errors += check_reads(root, state, f'{where}.data_root')
    for key in ('val_evaluator', 'test_evaluator'):
        for ann_file in find_key(cfg.get(key, {}), 'ann_file'):
            if expected is not None and not norm(ann_file).startswith(
                    norm(expected) + '/'):
                errors.append(f'{key}.ann_file {ann_file!r} is not in the '
                              f'{expected!r} the command sets')

    # the converted backbone a training starts from
    if tool == 'tools/train.py':
        for init in pretrained_inits(cfg.model):
            checkpoint = init['checkpoint']
            if '://' in checkpoint:
                continue
            if 'PRETRAINED' in cmd.env and checkpoint != cmd.env[
                    'PRETRAINED']:
                errors.append(f'init_cfg checkpoint {checkpoint!r} is not '
                              f"the {cmd.env['PRETRAINED']!r} the command "
                              'sets')
            errors += check_reads(checkpoint, state, 'the init_cfg checkpoint')
        work_dir = args.work_dir or osp.join(
            'work_dirs', osp.splitext(osp.basename(config))[0])
        state.trained[norm(work_dir)] = (config, options, cmd.env)
        if args.resume not in (None, 'auto'):
            errors += check_reads(args.resume, state, '--resume')
    return errors


def check_command(cmd: Command, state: DocState) -> List[str]:
    """The errors of one command, after the ones before it in its
    document (``state``)."""
    argv = list(cmd.argv)
    if argv[0] == 'source':
        return []
    if argv[0] == 'make':
        makefile = open(osp.join(ROOT, 'Makefile')).read()
        errors = [
            f'make has no target {t}' for t in argv[1:]
            if not re.search(rf'^{re.escape(t)}:', makefile, re.M)
        ]
        if 'demo' in argv[1:]:  # make demo = tools/train.py DEMO_CONFIG
            var = dict(re.findall(r'^(\w+) \?= (.+)$', makefile, re.M))
            argv = ['python', 'tools/train.py', var['DEMO_CONFIG'],
                    '--work-dir', var['DEMO_WORK_DIR']]
        else:
            return errors
    if argv[0] in PYTHONS or argv[0] == 'bash':
        script, args = argv[1], argv[2:]
    else:
        return [f'`{argv[0]}` is not a command these tests know']
    if not osp.isfile(script_path(script)):
        return [f'{script} does not exist']
    if script in LAUNCHERS:
        tool, pass_on = LAUNCHERS[script]
        assert tool in open(osp.join(ROOT, script)).read()
        if not any(PLACEHOLDER.match(a) or '[' in a for a in args):
            args = pass_on(args)
        script = tool
    elif script.endswith('.sh'):
        return []
    path = script_path(script)
    if 'argparse' not in open(path).read():  # e.g. tools/install/verify_env
        return [f'{script} takes no arguments'] if args else []
    if any(PLACEHOLDER.match(a) or '[' in a for a in args):
        # a synopsis: the options it names exist
        known = tool_parser(path)._option_string_actions
        return [
            f'{script} has no option {o}'
            for o in re.findall(r'(?<![\w-])--[a-z][\w-]*', ' '.join(args))
            if o not in known
        ]
    ns, error = parse(path, args)
    if ns is None:
        return [f'{script} refuses the arguments: {error}']
    errors = []
    if hasattr(ns, 'checkpoint') and script != 'tools/train.py':
        errors += check_reads(ns.checkpoint, state, 'the checkpoint')
    if hasattr(ns, 'config'):
        errors += check_config(cmd, script, ns, state)
    for out in ('out', 'out_dir'):
        if getattr(ns, out, None) and script.startswith(
                ('tools/model_converters/', 'tools/misc/')):
            state.written.add(norm(getattr(ns, out)))
    return errors


def check_document(text: str, doc: str) -> List[str]:
    state, errors = DocState(), []
    for cmd in commands_of(text, doc):
        errors += [f'{cmd.where()}: {e}' for e in check_command(cmd, state)]
    return errors


def read(doc: str) -> str:
    with open(osp.join(ROOT, doc), encoding='utf-8') as f:
        return f.read()


def test_documents_hold_commands():
    """The scanner finds the commands (it is not vacuously green)."""
    assert 'docs/get_started.md' in DOCS
    assert 'configs/detection/README.md' in DOCS
    for doc in ('README.md', 'configs/detection/README.md',
                'docs/get_started.md'):
        tools = {c.argv[1] for c in commands_of(read(doc), doc)
                 if len(c.argv) > 1}
        assert {'tools/train.py', 'tools/test.py'} <= tools, (doc, tools)


@pytest.mark.parametrize('doc', DOCS)
def test_commands_run_as_written(doc):
    errors = check_document(read(doc), doc)
    assert not errors, '\n'.join(errors)


CIFAR10 = 'configs/samix/samix_resnet18_1xb100-400e_cifar10-folder.py'


def test_a_data_root_that_misses_a_dataloader_is_refused():
    """`--cfg-options data_root=PATH` changes only the top-level variable;
    DATA_ROOT reaches every dataloader."""
    old = ('```bash\npython tools/train.py ' + CIFAR10 +
           ' \\\n    --cfg-options data_root=/path/to/cifar10-jpg\n```\n')
    errors = check_document(old, 'old.md')
    assert len(errors) == 3, errors  # train, val, test
    assert all("data_root is 'data/cifar10-jpg', not the "
               "'/path/to/cifar10-jpg'" in e for e in errors), errors
    new = ('```bash\nDATA_ROOT=/path/to/cifar10-jpg python tools/train.py '
           + CIFAR10 + '\n```\n')
    assert check_document(new, 'new.md') == []


def test_reads_without_writer_and_bad_options_are_refused():
    doc = '\n'.join([
        '```shell',
        'python tools/test.py configs/samix/'
        'samix_resnet18-w32_1xb64-15e_synthetic-shapes.py '
        'work_dirs/demo/epoch_15.pth',
        'python tools/train.py configs/samix/'
        'samix_resnet18-w32_1xb64-15e_synthetic-shapes.py '
        '--work-dir work_dirs/demo',
        'python tools/test.py configs/samix/'
        'samix_resnet18-w32_1xb64-15e_synthetic-shapes.py '
        'work_dirs/demo/epoch_7.pth',
        'python tools/train.py CONFIG [--no-such-option]',
        'python tools/model_converters/extract_backbone.py '
        'work_dirs/demo/epoch_15.pth out.pth --layout nope',
        '```',
    ])
    errors = check_document(doc, 'x.md')
    assert len(errors) == 4, errors
    assert 'no earlier command trains into work_dirs/demo' in errors[0]
    assert 'does not save it' in errors[1]
    assert 'has no option --no-such-option' in errors[2]
    assert "invalid choice: 'nope'" in errors[3]


@pytest.mark.parametrize('doc', DOCS)
def test_python_snippets_compile_and_name_real_models(doc):
    """Python blocks parse; the configs and model names they pass to
    mmpretrain's APIs exist."""
    for lang, line, lines in code_blocks(read(doc)):
        if lang != 'python':
            continue
        tree = ast.parse('\n'.join(lines), f'{doc}:{line}')
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(
                    node.args[0], ast.Constant) and getattr(
                        node.func, 'attr', getattr(node.func, 'id', '')) in (
                            'get_model', 'ImageClassificationInferencer'):
                name = node.args[0].value
                assert (osp.isfile(osp.join(ROOT, name))
                        if name.endswith('.py') else name in MODEL_NAMES), (
                            f'{doc}:{line}: {name}')
