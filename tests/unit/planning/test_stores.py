# SPDX-License-Identifier: Apache-2.0
"""--dest-store and --map-store: which store a copy is uploaded to."""

import pytest

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
