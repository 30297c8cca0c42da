# Copyright (c) samix_mm contributors. All rights reserved.
"""README and docs hygiene: the Markdown tables of README.md,
configs/**/README.md and docs/*.md render as tables, and the README's
Layout lists the tree.

A table is a run of lines starting with ``|`` outside code blocks: a header
row, a delimiter row (``|---|:-:|``) and body rows, each with the header's
number of cells (unescaped ``|``, as GitHub splits them). A blank line
inside a table ends it: the rows after it lose their header and render as a
paragraph of pipes. The same documents rendered by markdown-it (GitHub's
table rules) hold exactly these tables, with all their rows.
"""
import glob
import os.path as osp
import re
from typing import Iterator, List, Tuple

import pytest

from test_readme_commands import DOCS, ROOT

DELIMITER = re.compile(r'^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$')


def tables(text: str) -> Iterator[Tuple[int, List[str]]]:
    """(first line number, rows) of each run of ``|`` lines outside code
    blocks."""
    fence, start, rows = None, 0, []
    for no, line in enumerate(text.splitlines() + [''], 1):
        stripped = line.strip()
        opening = re.match(r'(`{3,}|~{3,})', stripped)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
            continue
        if fence is None and stripped.startswith('|'):
            start = start if rows else no
            rows.append(stripped)
        elif rows:
            yield start, rows
            rows = []


def cells(row: str) -> List[str]:
    """The cells of a row, split at unescaped pipes."""
    row = row.strip()
    row = row[1:] if row.startswith('|') else row
    row = row[:-1] if row.endswith('|') and not row.endswith('\\|') else row
    return re.split(r'(?<!\\)\|', row)


def table_errors(text: str) -> List[str]:
    errors = []
    for start, rows in tables(text):
        if len(rows) < 2 or not DELIMITER.match(rows[1]):
            errors.append(f'line {start}: {len(rows)} row(s) without a header '
                          'and delimiter row (a table split by a blank '
                          'line?)')
            continue
        width = len(cells(rows[0]))
        for i, row in enumerate(rows[1:], 1):
            if len(cells(row)) != width:
                errors.append(f'line {start + i}: {len(cells(row))} cells, '
                              f'the header has {width}')
    return errors


def read(doc: str) -> str:
    with open(osp.join(ROOT, doc), encoding='utf-8') as f:
        return f.read()


@pytest.mark.parametrize('doc', DOCS)
def test_tables_are_whole(doc):
    errors = table_errors(read(doc))
    assert not errors, f'{doc}: ' + '\n'.join(errors)


@pytest.mark.parametrize('doc', DOCS)
def test_tables_render(doc):
    """markdown-it renders every table with all its rows and leaves no row
    of pipes in a paragraph."""
    markdown_it = pytest.importorskip('markdown_it')
    text = read(doc)
    tokens = markdown_it.MarkdownIt('commonmark').enable('table').parse(text)
    rendered, rows = [], 0
    for i, token in enumerate(tokens):
        if token.type == 'table_open':
            rows = 0
        elif token.type == 'tr_open':
            rows += 1
        elif token.type == 'table_close':
            rendered.append(rows)
        elif token.type == 'inline' and tokens[i - 1].type == \
                'paragraph_open':
            stray = [line for line in token.content.splitlines()
                     if line.startswith('|')]
            assert not stray, f'{doc}: rows outside a table: {stray}'
    assert rendered == [len(rows) - 1 for _, rows in tables(text)], doc


def test_a_table_split_by_a_blank_line_is_refused():
    split = '\n'.join([
        '| | folder | what |', '|---|---|---|', '| a | `x/` | one |', '',
        '| b | `y/` | two |', ''
    ])
    assert table_errors(split) == [
        'line 5: 1 row(s) without a header and delimiter row (a table split '
        'by a blank line?)'
    ]
    assert table_errors(split.replace('\n\n', '\n')) == []
    assert table_errors('| a | b |\n|---|---|\n| 1 | 2 | 3 |\n') == [
        'line 3: 3 cells, the header has 2'
    ]
    # escaped pipes stay inside their cell
    assert table_errors('| a | b |\n|---|---|\n| `x\\|y` | 2 |\n') == []


def layout_block() -> str:
    readme = read('README.md')
    section = readme[readme.index('## Layout'):]
    return next(lines for lang, lines in re.findall(
        r'```(\w*)\n(.*?)```', section, re.S))


def test_readme_layout_lists_the_tree():
    """Every package of samix_mm (two levels), every folder of configs/
    (and configs/_base_/) and tools/, and the top-level folders appear in
    the Layout as ``name/``; every file it names exists."""
    layout = layout_block()
    folders = [
        d for d in glob.glob(osp.join(ROOT, 'samix_mm', '*', '*', '')) +
        glob.glob(osp.join(ROOT, 'samix_mm', '*', '')) if osp.isfile(
            osp.join(d, '__init__.py'))
    ] + [
        d for pattern in ('configs/*/', 'configs/_base_/*/', 'tools/*/')
        for d in glob.glob(osp.join(ROOT, pattern))
        if not osp.basename(d.rstrip('/')).startswith('__')
    ] + [
        osp.join(ROOT, d, '') for d in ('samix_mm', 'configs', 'tools',
                                        'demo', 'docs', 'tests',
                                        'benchmarks')
    ]
    missing = sorted(
        osp.relpath(d, ROOT) for d in folders
        if not re.search(r'(?<![\w-])' + re.escape(
            osp.basename(d.rstrip('/'))) + r'(/|\b)', layout))
    assert not missing, f'the README Layout omits {missing}'
    named = re.findall(r'[\w-]+\.(?:py|sh|md|yml)\b', layout)
    absent = [
        n for n in named
        if not glob.glob(osp.join(ROOT, '**', n), recursive=True)
    ]
    assert named and not absent, f'the README Layout names {absent}'
