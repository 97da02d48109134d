# SPDX-License-Identifier: Apache-2.0
"""A filter file merged with the options: lists join, values must agree."""

import datetime

import pytest

from osc_image_migrate.planning import filter_file
from osc_image_migrate.planning import selection

UTC = datetime.timezone.utc


def test_merge_concatenates_lists_without_duplicates():
    merged = filter_file.merge(
        selection.Selection(images=['a', 'b'], projects=['p'],
                            exclude_images=['x']),
        selection.Selection(images=['b', 'c'], projects=['q'],
                            exclude_images=['y']))
    assert merged.images == ['a', 'b', 'c']
    assert merged.projects == ['p', 'q']
    assert merged.exclude_images == ['x', 'y']


def test_merge_dates_must_agree():
    day = datetime.datetime(2024, 1, 31, tzinfo=UTC)
    later = datetime.datetime(2024, 2, 1, tzinfo=UTC)
    cli = selection.Selection(updated_since=day)
    assert filter_file.merge(cli, selection.Selection()).updated_since == day
    assert filter_file.merge(
        selection.Selection(), cli).updated_since == day
    assert filter_file.merge(cli, cli).updated_since == day
    with pytest.raises(selection.SelectionError, match='differs'):
        filter_file.merge(cli, selection.Selection(updated_since=later))


def test_merge_project_maps():
    merged = filter_file.merge(
        selection.Selection(project_map={'a': 'x', 'b': 'y'}),
        selection.Selection(project_map={'b': 'y', 'c': 'z'}))
    assert merged.project_map == {'a': 'x', 'b': 'y', 'c': 'z'}
    with pytest.raises(selection.SelectionError, match='mapped to both'):
        filter_file.merge(selection.Selection(project_map={'a': 'x'}),
                          selection.Selection(project_map={'a': 'y'}))


@pytest.mark.parametrize('cli, from_file, expected', [
    (True, True, True), (False, True, False), (True, False, False),
    (None, True, True), (None, False, False)])
def test_merge_public_and_shared_off_wins(cli, from_file, expected):
    merged = filter_file.merge(
        selection.Selection(include_public_and_shared=cli),
        selection.Selection(include_public_and_shared=from_file))
    assert merged.include_public_and_shared is expected


def test_merge_without_file():
    cli = selection.Selection(images=['a'])
    assert filter_file.merge(cli, None) == cli


def test_a_store_mapped_two_ways_is_an_error():
    cli = selection.Selection(store_map={'a': 'fast'}, dest_store='slow')
    from_file = selection.Selection(store_map={'a': 'slow', 'b': 'fast'})
    with pytest.raises(selection.SelectionError,
                       match='store a is mapped to both fast and slow'):
        filter_file.merge(cli, from_file)
    merged = filter_file.merge(cli, selection.Selection(store_map={'b': 'x'}))
    assert (merged.store_map, merged.dest_store) == (
        {'a': 'fast', 'b': 'x'}, 'slow')


def test_orphans_to_merges_and_must_agree():
    merged = filter_file.merge(selection.Selection(orphans_to='a'),
                               selection.Selection())
    assert merged.orphans_to == 'a'
    with pytest.raises(selection.SelectionError, match='orphans_to'):
        filter_file.merge(selection.Selection(orphans_to='a'),
                          selection.Selection(orphans_to='b'))
