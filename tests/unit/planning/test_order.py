# SPDX-License-Identifier: Apache-2.0
"""The order of a plan: dependencies first, then by name, cycles last."""

from osc_image_migrate.planning import order
from osc_image_migrate.planning import planner


def item(source_id, name, depends_on=()):
    return planner.PlanItem(source_id, name=name,
                            depends_on=list(depends_on))


def ids(items):
    return [i.source_id for i in items]


def test_dependencies_come_before_the_images_that_use_them():
    plan = [item('boot', 'a-boot', ['kernel', 'ramdisk']),
            item('kernel', 'z-kernel'), item('ramdisk', 'y-ramdisk'),
            item('other', 'b-other')]
    assert ids(order.dependencies_first(plan)) == [
        'other', 'ramdisk', 'kernel', 'boot']


def test_same_names_go_by_id_and_dependencies_not_planned_are_ignored():
    plan = [item('2', 'same'), item('1', 'same', ['not-in-the-plan']),
            item('0', None)]
    assert ids(order.dependencies_first(plan)) == ['0', '1', '2']


def test_a_cycle_goes_last_with_a_reason():
    plan = [item('a', 'a', ['b']), item('b', 'b', ['a']), item('c', 'c')]
    ordered = order.dependencies_first(plan)
    assert ids(ordered) == ['c', 'a', 'b']
    assert ordered[0].reasons == []
    assert ordered[1].reasons == [
        'circular kernel_id/ramdisk_id references']
