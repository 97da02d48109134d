# SPDX-License-Identifier: Apache-2.0
"""Each data row of a plan gets its path; the others keep '-'."""

from osc_image_migrate.planning import data_paths
from osc_image_migrate.planning import path_choice
from osc_image_migrate.planning import planner


def rbd_unless_named_dense(item):
    if item.name == 'dense':
        return data_paths.PathOffer('rbd', 'the source is not in RBD')
    return data_paths.PathOffer('rbd')


def plan():
    return [planner.PlanItem('a', name='sparse', action=planner.COPY),
            planner.PlanItem('b', name='dense', action=planner.NEW_ID),
            planner.PlanItem('c', name='done', action=planner.SKIP,
                             reasons=['already there'])]


def test_auto_gives_each_data_row_its_own_path_and_note():
    items = plan()
    path_choice.choose_paths(items, 'auto', [rbd_unless_named_dense])
    assert [i.path for i in items] == ['rbd', 'stream', '-']
    assert items[1].action == planner.NEW_ID
    assert items[1].reason == 'stream, not rbd: the source is not in RBD'
    assert items[2].reason == 'already there'


def test_a_named_path_that_cannot_take_a_row_blocks_it():
    items = plan()
    items[1].members = [{'member_id': 'p'}]
    path_choice.choose_paths(items, 'rbd', [rbd_unless_named_dense])
    assert [i.action for i in items] == [
        planner.COPY, planner.BLOCKED, planner.SKIP]
    assert items[1].reason == 'rbd: the source is not in RBD'
    assert items[1].members == []


def test_no_offerers_leave_every_copy_a_stream():
    items = plan()
    path_choice.choose_paths(items, 'auto', [])
    assert [i.path for i in items] == ['stream', 'stream', '-']
    assert items[0].reason == ''
