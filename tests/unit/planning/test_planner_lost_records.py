# SPDX-License-Identifier: Apache-2.0
"""Planning around destination records a fault left behind.

A record left ``saving`` by an upload the destination lost (Glance restarted
mid-upload) can never take data again; the copy then moves to a new ID that
records the source ID. A later plan must use that copy, not the dead record.
"""

import pytest

from osc_image_migrate.planning import planner
from tests.unit import fakes
from tests.unit.fakes import scene


@pytest.mark.parametrize('status', ['saving', 'queued'])
def test_copy_under_a_new_id_wins_over_a_dead_same_id_record(status):
    image = fakes.image('x', scene.S_DEMO)
    dead = scene.copy_in_dest(image, status=status, size=None, checksum=None,
                              os_hash_value=None)
    tagged = scene.tagged_copy(image)
    item = scene.plan_one(scene.in_src([image]), scene.in_dst([dead, tagged]))
    assert (item.action, item.dest_id) == (planner.SKIP, tagged['id'])
    assert '%s (the source ID) is %s and unused' % (image['id'], status) \
        in item.reason


def test_unfinished_copy_under_a_new_id_is_resumed_not_the_dead_record():
    image = fakes.image('x', scene.S_DEMO)
    dead = scene.copy_in_dest(image, status='saving', size=None)
    tagged = scene.tagged_copy(image, status='queued', size=None)
    item = scene.plan_one(scene.in_src([image]), scene.in_dst([dead, tagged]))
    assert (item.action, item.dest_id) == (planner.RESUME, tagged['id'])


def test_saving_record_without_a_copy_is_still_blocked():
    image = fakes.image('x', scene.S_DEMO)
    dead = scene.copy_in_dest(image, status='saving', size=None)
    item = scene.plan_one(scene.in_src([image]), scene.in_dst([dead]))
    assert item.action == planner.BLOCKED
    assert 'in progress or interrupted' in item.reason


def test_finished_same_id_copy_still_wins_over_a_tagged_one():
    image = fakes.image('x', scene.S_DEMO)
    same = scene.copy_in_dest(image)
    tagged = scene.tagged_copy(image, status='queued', size=None)
    item = scene.plan_one(scene.in_src([image]), scene.in_dst([same, tagged]))
    assert (item.action, item.dest_id) == (planner.SKIP, image['id'])
    assert 'unused' not in item.reason


def test_tagged_copy_with_other_data_does_not_hide_a_resumable_record():
    image = fakes.image('x', scene.S_DEMO)
    queued = scene.copy_in_dest(image, status='queued', size=None)
    tagged = scene.tagged_copy(image, checksum='o', os_hash_value='o')
    item = scene.plan_one(scene.in_src(
        [image]), scene.in_dst([queued, tagged]))
    assert (item.action, item.dest_id) == (planner.RESUME, image['id'])
