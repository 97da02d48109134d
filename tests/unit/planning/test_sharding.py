# SPDX-License-Identifier: Apache-2.0
"""One plan, N shards: the split every host computes for itself."""

import random

from hypothesis import given
from hypothesis import strategies as st
import pytest

from osc_image_migrate.planning import planner
from osc_image_migrate.planning import sharding


@pytest.mark.parametrize('text,shard', [('0/1', (0, 1)), ('2/3', (2, 3)),
                                        (' 1 / 4 ', (1, 4))])
def test_shards(text, shard):
    assert sharding.parse_shard(text) == shard


@pytest.mark.parametrize('text', ['', '1', '3/3', '0/0', '-1/3', 'a/b',
                                  '1/3/4', None])
def test_not_shards(text):
    with pytest.raises(ValueError):
        sharding.parse_shard(text)


def test_dependencies_stay_with_the_images_that_use_them():
    images = {'kernel': ('copy', 10), 'ramdisk': ('copy', 10),
              'server': ('copy', 100), 'other': ('copy', 100),
              'third': ('copy', 100)}
    edges = [('server', 'kernel'), ('server', 'ramdisk')]
    shard_of = sharding.assign(images, edges, 3)
    assert shard_of['kernel'] == shard_of['ramdisk'] == shard_of['server']
    assert len({shard_of['server'], shard_of['other'],
                shard_of['third']}) == 3


def test_balanced_by_bytes_to_copy():
    """Skipped images cost nothing; big ones spread first."""
    images = {'a': ('copy', 60), 'b': ('copy', 50), 'c': ('resume', 40),
              'd': ('copy', 30), 'e': ('skip', 1000)}
    shard_of = sharding.assign(images, [], 2)
    loads = [sum(images[i][1] for i in images if shard_of[i] == s
                 and images[i][0] != 'skip') for s in (0, 1)]
    assert sorted(loads) == [90, 90]


plans = st.integers(min_value=1, max_value=40).flatmap(lambda n: st.tuples(
    st.lists(st.tuples(st.sampled_from(planner.ACTIONS),
                       st.one_of(st.none(), st.integers(0, 10 ** 9))),
             min_size=n, max_size=n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
             max_size=n),
    st.integers(min_value=1, max_value=6),
    st.randoms(use_true_random=False)))


@given(plans)
def test_every_image_in_one_shard_whatever_the_order(case):
    rows, refs, count, shuffle = case
    images = {'img-%d' % n: row for n, row in enumerate(rows)}
    edges = [('img-%d' % a, 'img-%d' % b) for a, b in refs]
    shard_of = sharding.assign(images, edges, count)
    assert set(shard_of) == set(images)
    assert set(shard_of.values()) <= set(range(count))
    for a, b in edges:
        assert shard_of[a] == shard_of[b]
    # Another host reads the plan in another order: the same split.
    items = list(images.items())
    shuffle.shuffle(items)
    assert sharding.assign(dict(items), list(reversed(edges)),
                           count) == shard_of


def test_a_saved_plan_splits_as_plan_showed_it():
    """``plan --shards`` and ``migrate --shard`` compute the same split."""
    rng = random.Random(7)
    plan, source_images = [], {}
    for n in range(30):
        image_id = 'img-%02d' % n
        image = {'id': image_id}
        if n % 5 == 4:
            image['kernel_id'], image['ramdisk_id'] = (
                'img-%02d' % (n - 2), 'img-%02d' % (n - 1))
        source_images[image_id] = image
        plan.append(planner.PlanItem(
            image_id, size=rng.randrange(1, 10 ** 6),
            action=rng.choice([planner.COPY, planner.SKIP]),
            depends_on=[image[k] for k in ('kernel_id', 'ramdisk_id')
                        if k in image]))
    saved = {item.source_id: {'Source ID': item.source_id,
                              'Size': item.size, 'Action': item.action}
             for item in plan}
    for count in (1, 2, 3, 7):
        assert sharding.saved_plan_shards(
            saved, source_images, count) == sharding.plan_shards(plan, count)
