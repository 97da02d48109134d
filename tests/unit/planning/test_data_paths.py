# SPDX-License-Identifier: Apache-2.0
"""The Path column's vocabulary, and the path of each plan row."""

import pytest

from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import planner
from tests.unit import fakes


def test_auto_is_the_default_then_stream_then_the_offloaded_paths():
    assert data_paths.CHOICES[:2] == (data_paths.AUTO, data_paths.STREAM)
    assert data_paths.RBD in data_paths.CHOICES
    assert data_paths.GLANCE_DOWNLOAD in data_paths.CHOICES
    assert planner.PlanItem('s').data_path == data_paths.STREAM


@pytest.mark.parametrize('action, path', [
    (planner.COPY, 'stream'), (planner.RESUME, 'stream'),
    (planner.NEW_ID, 'stream'), (planner.METADATA_ONLY, '-'),
    (planner.SKIP, '-'), (planner.UPDATE, '-'), (planner.FINISH, '-'),
    (planner.BLOCKED, '-'), (planner.SOURCE_DELETED, '-')])
def test_only_rows_that_move_data_have_a_path(action, path):
    assert planner.PlanItem('s', action=action).path == path


def test_the_path_follows_a_later_change_of_action():
    item = planner.PlanItem('s', action=planner.COPY,
                            data_path=data_paths.BUNDLE)
    assert item.path == 'bundle'
    item.action = planner.BLOCKED
    assert item.path == '-'


def test_make_plan_gives_every_copy_the_path_chosen():
    owner = fakes.project('demo')
    image = fakes.image('web', owner)
    source = fakes.make_inventory([image], [owner])
    dest = fakes.make_inventory([], [fakes.project('demo', cloud='dst')])
    selected = {image['id']: ['named']}
    plan = planner.make_plan(source, dest, selected)
    assert (plan[0].action, plan[0].path) == (planner.COPY, 'stream')
    plan = planner.make_plan(source, dest, selected,
                             data_path=data_paths.BUNDLE)
    assert (plan[0].action, plan[0].path) == (planner.COPY, 'bundle')


RBD_OK = data_paths.PathOffer(data_paths.RBD)
RBD_NO = data_paths.PathOffer(data_paths.RBD, 'no Ceph settings for dst')
GD_OK = data_paths.PathOffer(data_paths.GLANCE_DOWNLOAD)


def test_auto_takes_the_first_offer_without_a_refusal():
    assert data_paths.choose('auto', [RBD_NO, GD_OK]) == data_paths.Choice(
        'glance-download')
    assert data_paths.choose('auto', [RBD_OK, GD_OK]).path == 'rbd'


def test_auto_streams_and_says_why_when_every_offer_is_refused():
    choice = data_paths.choose('auto', [RBD_NO])
    assert choice == data_paths.Choice(
        'stream', 'stream, not rbd: no Ceph settings for dst')
    assert data_paths.choose('auto', []) == data_paths.Choice('stream')


def test_stream_asked_for_is_taken_even_when_another_path_is_offered():
    assert data_paths.choose('stream', [RBD_OK]) == data_paths.Choice(
        'stream')


def test_a_path_asked_for_by_name_is_refused_never_replaced():
    assert data_paths.choose('rbd', [RBD_OK, GD_OK]).path == 'rbd'
    assert data_paths.choose('rbd', [RBD_NO, GD_OK]) == data_paths.Choice(
        'rbd', 'rbd: no Ceph settings for dst', refused=True)
    assert data_paths.choose('glance-download', []) == data_paths.Choice(
        'glance-download',
        'glance-download: not possible between these clouds', refused=True)


def test_offers_for_leaves_out_the_paths_not_in_play():
    offerers = [lambda item: None, lambda item: RBD_NO]
    assert data_paths.offers_for(object(), offerers) == [RBD_NO]
