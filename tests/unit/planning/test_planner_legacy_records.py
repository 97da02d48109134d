# SPDX-License-Identifier: Apache-2.0
"""The plan of source records without a hash or size (issue 17)."""

import pytest

from osc_image_migrate import model
from osc_image_migrate.planning import planner
from tests.unit import fakes
from tests.unit.fakes.legacy import as_read as _as_read
from tests.unit.fakes.legacy import DATA
from tests.unit.fakes.legacy import legacy as _legacy
from tests.unit.fakes import scene as tp


@pytest.mark.parametrize('size', [True, False])
def test_plan_says_what_verified_means_for_a_record_without_a_hash(size):
    image = _legacy(size=size)
    item = tp.plan_one(tp.in_src([image]), tp.in_dst())
    assert item.action == planner.COPY
    missing = ('no hash' if size else
               'no hash and no size (streamed to its end)')
    assert item.reason == (
        'ID free in destination; the source records %s: verified against '
        'the size and hash of the bytes read from it, not against the '
        'source\'s record' % missing)


@pytest.mark.parametrize('size', [True, False])
def test_a_copy_verified_as_read_is_skipped(size):
    image = _legacy(size=size)
    dest = tp.in_dst([_as_read(image)])
    item = tp.plan_one(tp.in_src([image]), dest)
    assert item.action == planner.SKIP
    assert item.reason.endswith('the source records no hash: the copy was '
                                'verified against the bytes read from it')


def test_a_second_failed_check_blocks_instead_of_copying_again():
    image = fakes.image('flipped', tp.S_DEMO, data=DATA)
    first = tp.copy_in_dest(fakes.image('flipped', tp.D_DEMO, data=b'bad',
                                        image_id=image['id']),
                            status='deactivated')
    first.update({model.SOURCE_ID_PROPERTY: image['id'],
                  model.CHECK_FAILED: 'differs'})
    item = tp.plan_one(tp.in_src([image]), tp.in_dst([first]))
    assert item.action == planner.NEW_ID  # one more try, under a new ID
    second = dict(first, id=fakes.make_id('second'),
                  **{model.CHECK_FAILED: 'differs again'})
    item = tp.plan_one(tp.in_src([image]), tp.in_dst([first, second]))
    assert item.action == planner.BLOCKED
    assert item.reason.startswith(
        'destination image %s, a copy under a new ID, failed the check '
        'after its upload too (differs again) and was deactivated: not '
        'copied again' % second['id'])
