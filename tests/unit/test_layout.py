# SPDX-License-Identifier: Apache-2.0
"""The unit tests mirror the package, one test file per module at least.

Every module ``osc_image_migrate/<layer>/<module>.py`` has its
``tests/unit/<layer>/test_<module>.py`` (top-level modules: in
``tests/unit/``), which imports it; a module with several concerns may also
have ``test_<module>_<concern>.py`` files. Every other test file is named
after a module of its layer, so that a test of one module never sits in
another module's file. tests/unit/fakes/ (shared helpers) and
tests/unit/tools/ (the sandbox tools) are outside the rule.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / 'osc_image_migrate'
UNIT = ROOT / 'tests' / 'unit'
OUTSIDE = ('fakes', 'tools')

# Modules without their test file yet, each with the reason.
EXCEPTIONS = {
}
# Test files that test no one module, each with the reason.
NOT_A_MODULE = {
    'test_layout': 'the layout of the tests themselves',
}


def modules():
    """'<layer>/<module>' (top level: '<module>') of every product module."""
    return sorted(
        path.relative_to(PACKAGE).with_suffix('').as_posix()
        for path in PACKAGE.rglob('*.py') if path.name != '__init__.py')


def unit_test_files():
    """'<layer>/test_<name>' of every test file under the rule."""
    found = []
    for path in UNIT.rglob('test_*.py'):
        relative = path.relative_to(UNIT)
        if relative.parts[0] not in OUTSIDE:
            found.append(relative.with_suffix('').as_posix())
    return sorted(found)


def split(name):
    layer, _, stem = name.rpartition('/')
    return layer, stem


def imported(path):
    """The dotted names of every module ``path`` imports, and their parts."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update('%s.%s' % (node.module, alias.name)
                         for alias in node.names)
    return names


def test_every_module_has_its_test_file():
    tested = set()
    for layer, stem in map(split, unit_test_files()):
        module = stem[len('test_'):]
        tested.add(layer + '/' + module if layer else module)
    missing = [name for name in modules()
               if name not in EXCEPTIONS and name not in tested]
    assert missing == [], 'no tests/unit/<layer>/test_<module>.py'


def modules_by_layer():
    """{layer: [module, ...]} of the package ('' for the top level)."""
    by_layer = {}
    for name in modules():
        layer, module = split(name)
        by_layer.setdefault(layer, []).append(module)
    return by_layer


def test_exceptions_are_still_needed():
    known = set(modules())
    tested = set(unit_test_files())
    stale = [name for name in EXCEPTIONS if name not in known or '%s/test_%s'
             % split(name) in tested or 'test_' + name in tested]
    assert stale == [], 'remove these from EXCEPTIONS'


def named_after():
    """(test file, layer, [modules of its layer its name may stand for])."""
    by_layer = modules_by_layer()
    for name in unit_test_files():
        layer, stem = split(name)
        tested = stem[len('test_'):]
        yield name, layer, [m for m in by_layer.get(layer, ())
                            if tested == m or tested.startswith(m + '_')]


def test_every_test_file_is_named_after_a_module_of_its_layer():
    strays = [name for name, layer, candidates in named_after()
              if not candidates
              and not (not layer and split(name)[1] in NOT_A_MODULE)]
    assert strays == [], 'name them test_<module>[_<concern>].py'


def test_every_test_file_imports_the_module_it_is_named_after():
    wrong = []
    for name, layer, candidates in named_after():
        if not candidates:
            continue  # named after no module: the test above says so
        names = imported(UNIT / (name + '.py'))
        dotted = ['.'.join(filter(None, ['osc_image_migrate',
                                         layer.replace('/', '.'), m]))
                  for m in candidates]
        if not names & set(dotted):
            wrong.append(name)
    assert wrong == []


def test_the_exceptions_say_why():
    for reasons in (EXCEPTIONS, NOT_A_MODULE):
        assert all(isinstance(why, str) and why for why in reasons.values())


def test_unit_runs_load_no_functional_fixtures():
    """tests/conftest.py names no plugins: a unit run loads only its own."""
    tree = ast.parse((ROOT / 'tests' / 'conftest.py').read_text())
    assigned = {target.id for node in ast.walk(tree)
                if isinstance(node, (ast.Assign, ast.AnnAssign))
                for target in (node.targets if isinstance(node, ast.Assign)
                               else [node.target])
                if isinstance(target, ast.Name)}
    assert 'pytest_plugins' not in assigned
