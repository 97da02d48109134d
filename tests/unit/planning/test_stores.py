# SPDX-License-Identifier: Apache-2.0
"""--dest-store and --map-store: which store a copy is uploaded to."""

import pytest
import yaml

from osc_image_migrate.planning import filter_file
from osc_image_migrate.planning import selection
from osc_image_migrate.planning import stores


@pytest.mark.parametrize('source_stores,expected', [
    ('ceph-hdd', 'slow'), ('ceph-ssd,ceph-hdd', 'fast'),
    ('ceph-hdd,ceph-ssd', 'slow'), ('file', 'default-here'),
    (None, 'default-here'), ('', 'default-here')])
def test_mapped_store_first_then_the_default(source_stores, expected):
    image = {'id': 'x', 'stores': source_stores}
    store_map = {'ceph-ssd': 'fast', 'ceph-hdd': 'slow'}
    assert stores.target(image, 'default-here', store_map) == expected


def test_no_choice_leaves_it_to_the_destination():
    assert stores.target({'stores': 'ceph-ssd'}, None, {}) is None


def test_unknown_stores_are_named_with_the_ones_there_are():
    problems = stores.check(['fast', 'slow'], 'fastest',
                            {'a': 'slow', 'b': 'nowhere'})
    assert problems == [
        "--dest-store: the destination has no store 'fastest' (its stores: "
        "fast, slow)",
        "store map b=nowhere: the destination has no store 'nowhere' (its "
        "stores: fast, slow)"]
    assert stores.check(['fast', 'slow'], 'slow', {'a': 'fast'}) == []


def test_filter_file_store_map(tmp_path):
    path = tmp_path / 'filter.yaml'
    path.write_text(yaml.safe_dump({'store_map': {'ceph-hdd': 'slow'}}))
    assert filter_file.load_filter_file(str(path)).store_map == {
        'ceph-hdd': 'slow'}
    path.write_text(yaml.safe_dump({'store_map': {'ceph-hdd': 3}}))
    with pytest.raises(selection.SelectionError,
                       match='destination store must be a non-empty string'):
        filter_file.load_filter_file(str(path))


def test_a_store_mapped_two_ways_is_an_error():
    cli = selection.Selection(store_map={'a': 'fast'}, dest_store='slow')
    from_file = selection.Selection(store_map={'a': 'slow', 'b': 'fast'})
    with pytest.raises(selection.SelectionError,
                       match='store a is mapped to both fast and slow'):
        filter_file.merge(cli, from_file)
    merged = filter_file.merge(cli, selection.Selection(store_map={'b': 'x'}))
    assert (merged.store_map, merged.dest_store) == (
        {'a': 'fast', 'b': 'x'}, 'slow')
