# SPDX-License-Identifier: Apache-2.0
"""The Path column's vocabulary, and the path of each plan row."""

import pytest

from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import planner
from tests.unit import fakes


def test_auto_is_the_default_and_stream_the_only_other_choice():
    assert data_paths.CHOICES == (data_paths.AUTO, data_paths.STREAM)
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
