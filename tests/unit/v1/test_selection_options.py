# SPDX-License-Identifier: Apache-2.0
"""The options plan and migrate share, and the selection they make."""

import argparse

import pytest

from osc_image_migrate import model
from osc_image_migrate.v1 import selection_options


def test_option_is_shared_by_plan_and_migrate_and_checked():
    parser = selection_options.add_selection_options(argparse.ArgumentParser())
    assert parser.parse_args(['--dest-cloud', 'd']).upload_method == 'auto'
    assert parser.parse_args(['--dest-cloud', 'd', '--upload-method',
                              'glance-direct']).upload_method == \
        'glance-direct'
    with pytest.raises(SystemExit) as raised:
        parser.parse_args(['--dest-cloud', 'd', '--upload-method', 'ftp'])
    assert raised.value.code == 2


def _selection(*args, filter_text=None, tmp_path=None):
    parser = selection_options.add_selection_options(argparse.ArgumentParser())
    extra = []
    if filter_text is not None:
        path = tmp_path / 'filter.yaml'
        path.write_text(filter_text)
        extra = ['--filter-file', str(path)]
    return selection_options.selection_from_args(
        parser.parse_args(['--dest-cloud', 'd'] + list(args) + extra))


def test_reuse_is_off_unless_asked_for(tmp_path):
    chosen = _selection()
    assert (chosen.reuse_identical, chosen.reuse_scope) == (False, None)
    chosen = _selection('--reuse-identical', '--reuse-scope', 'visible')
    assert (chosen.reuse_identical, chosen.reuse_scope) == (True, 'visible')
    chosen = _selection(filter_text='reuse_identical: true\n'
                        'reuse_scope: public\n', tmp_path=tmp_path)
    assert (chosen.reuse_identical, chosen.reuse_scope) == (True, 'public')


@pytest.mark.parametrize('args, filter_text, message', [
    (['--reuse-scope', 'visible'], None,
     '--reuse-scope (filter file key reuse_scope) needs --reuse-identical'),
    ([], 'reuse_scope: visible\n', 'needs --reuse-identical'),
    (['--reuse-identical', '--keep-ids'], None, 'not with --keep-ids'),
    (['--keep-ids'], 'reuse_identical: true\n', 'not with --keep-ids'),
    (['--reuse-identical', '--reuse-scope', 'public'],
     'reuse_scope: visible\n', 'differs from the filter file reuse_scope'),
    ([], 'reuse_scope: everything\n',
     "reuse_scope: must be public or visible, not 'everything'"),
    ([], 'reuse_identical: sure\n', 'reuse_identical: must be true or '
     'false'),
])
def test_reuse_options_that_do_not_go_together(tmp_path, args, filter_text,
                                               message):
    with pytest.raises(model.UsageError) as raised:
        _selection(*args, filter_text=filter_text, tmp_path=tmp_path)
    assert message in str(raised.value)


def test_an_unknown_reuse_scope_is_refused_by_the_parser():
    parser = selection_options.add_selection_options(argparse.ArgumentParser())
    with pytest.raises(SystemExit) as raised:
        parser.parse_args(['--dest-cloud', 'd', '--reuse-scope', 'all'])
    assert raised.value.code == 2
